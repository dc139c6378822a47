using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Telemetry.Storage;

/// <summary>What a key may do.</summary>
[Flags]
public enum KeyScopes
{
    None = 0,
    /// <summary>Write events only: safe to ship inside a browser app.</summary>
    Ingest = 1,
    /// <summary>Query events and read live metrics.</summary>
    Read = 2,
    /// <summary>Manage the tenant's keys.</summary>
    Admin = 4,
    All = Ingest | Read | Admin,
}

/// <summary>
/// The shape of an API key: <c>tlm_</c>, the key id (32 hex digits), <c>_</c>, and a secret of
/// 256 random bits (43 base64url characters). Only a SHA-256 of the whole key is stored.
/// </summary>
public static class ApiKeyFormat
{
    public const string Prefix = "tlm_";

    private const int IdLength = 32;
    private const int SecretBytes = 32;
    private static readonly int SecretLength = Base64Url.GetEncodedLength(SecretBytes);

    /// <summary>A new key, its id and the hash to store.</summary>
    public static (Guid KeyId, string Key, byte[] Hash) Generate()
    {
        var keyId = Guid.NewGuid();
        var key = string.Concat(Prefix, keyId.ToString("N"), "_", Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SecretBytes)));
        return (keyId, key, Hash(key));
    }

    /// <summary>Reads the key id out of a presented key; false when the text cannot be one of our keys.</summary>
    public static bool TryParse(string? key, out Guid keyId)
    {
        keyId = Guid.Empty;
        if (key is null || key.Length != Prefix.Length + IdLength + 1 + SecretLength) return false;
        if (!key.StartsWith(Prefix, StringComparison.Ordinal) || key[Prefix.Length + IdLength] != '_') return false;
        return Guid.TryParseExact(key.AsSpan(Prefix.Length, IdLength), "N", out keyId);
    }

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>Whether <paramref name="key"/> hashes to <paramref name="storedHash"/>, in time independent of where they differ.</summary>
    public static bool Matches(string key, byte[] storedHash) => CryptographicOperations.FixedTimeEquals(Hash(key), storedHash);

    public static string[] ScopeNames(KeyScopes scopes)
    {
        var names = new List<string>(3);
        if (scopes.HasFlag(KeyScopes.Ingest)) names.Add("ingest");
        if (scopes.HasFlag(KeyScopes.Read)) names.Add("read");
        if (scopes.HasFlag(KeyScopes.Admin)) names.Add("admin");
        return [.. names];
    }

    public static bool TryParseScope(string name, out KeyScopes scope)
    {
        scope = name switch
        {
            "ingest" => KeyScopes.Ingest,
            "read" => KeyScopes.Read,
            "admin" => KeyScopes.Admin,
            _ => KeyScopes.None,
        };
        return scope != KeyScopes.None;
    }
}
