namespace Telemetry.Gateway.Keys;

/// <summary>A key as listed: never the key itself.</summary>
public sealed record KeyResponse(Guid Id, string Name, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>A key just created: the only answer that holds the key.</summary>
public sealed record CreatedKeyResponse(Guid Id, string Name, IReadOnlyList<string> Scopes, string Key, DateTimeOffset CreatedAt);

/// <summary>The tenant's keys, oldest first.</summary>
public sealed record KeyList(IReadOnlyList<KeyResponse> Data);
