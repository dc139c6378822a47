using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;

namespace Telemetry.Observability;

/// <summary>Endpoint metadata: the endpoint exists only for connections that arrived on <see cref="Port"/>.</summary>
public sealed record LocalPortMetadata(int Port);

/// <summary>Keeps endpoints to their own listeners (<see cref="LocalPortExtensions.RequireLocalPort"/>).</summary>
public static class LocalPortExtensions
{
    /// <summary>
    /// The endpoints answer only connections that arrived on <paramref name="port"/>; on any other
    /// port they do not exist (404, as an unknown path). Unlike RequireHost, which reads the Host
    /// header a client writes, the local port is where the connection really came in.
    /// </summary>
    public static TBuilder RequireLocalPort<TBuilder>(this TBuilder builder, int port) where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint => endpoint.Metadata.Add(new LocalPortMetadata(port)));
        return builder;
    }
}

/// <summary>Drops the route candidates whose <see cref="LocalPortMetadata"/> names another port than the connection's.</summary>
internal sealed class LocalPortMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    // After the built-in policies (host, method), which only narrow further.
    public override int Order => 1000;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) =>
        endpoints.Any(e => e.Metadata.GetMetadata<LocalPortMetadata>() is not null);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var port = httpContext.Connection.LocalPort;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates.IsValidCandidate(i) && candidates[i].Endpoint.Metadata.GetMetadata<LocalPortMetadata>() is { } required && required.Port != port)
            {
                candidates.SetValidity(i, false);
            }
        }
        return Task.CompletedTask;
    }
}
