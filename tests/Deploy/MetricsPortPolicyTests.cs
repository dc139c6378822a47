namespace Telemetry.Tests.Deploy;

/// <summary>
/// The ports that answer without a key and show every tenant (the silo's HTTP port: probes, /metrics,
/// the Orleans Dashboard; the gateway's Prometheus port) take Prometheus only in every overlay; the
/// gateway's public ports stay open to all.
/// </summary>
public sealed class MetricsPortPolicyTests(ManifestCheckFixture check) : IClassFixture<ManifestCheckFixture>
{
    [Theory]
    [InlineData("dev", "telemetry-silo", "http")]
    [InlineData("prod", "telemetry-silo", "http")]
    [InlineData("dev", "telemetry-gateway", "metrics")]
    [InlineData("prod", "telemetry-gateway", "metrics")]
    public void Only_prometheus_reaches_the_port_that_shows_every_tenant(string overlay, string name, string port)
    {
        var rules = Rules(overlay, name);
        // A rule without ports opens every port of the pod, this one included.
        Assert.All(rules, rule => Assert.NotEmpty(rule["ports"]?.AsArray() ?? []));
        var reaching = rules.Where(r => Ports(r).Contains(port)).ToList();
        Assert.NotEmpty(reaching);
        foreach (var rule in reaching)
        {
            var peers = rule["from"]?.AsArray();
            Assert.True(peers is { Count: > 0 }, $"{name}: a rule lets anyone reach {port}");
            foreach (var peer in peers)
            {
                // Both selectors in one peer: Prometheus' pods in its namespace, not every pod of it, nor pods so named anywhere.
                Assert.Equal("prometheus", (string?)peer!["podSelector"]?["matchLabels"]?["app.kubernetes.io/name"]);
                Assert.NotEmpty(peer["namespaceSelector"]?["matchLabels"]?.AsObject() ?? []);
                Assert.Null(peer["ipBlock"]);
            }
        }
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void The_gateway_takes_anyone_on_its_public_ports(string overlay)
    {
        var open = Rules(overlay, "telemetry-gateway").Where(r => r["from"] is null).SelectMany(Ports).Order().ToArray();
        Assert.Equal(["grpc", "http"], open);
    }

    [Theory]
    [InlineData("dev", "telemetry-silo", "silo", "http")]
    [InlineData("prod", "telemetry-silo", "silo", "http")]
    [InlineData("dev", "telemetry-gateway", "gateway", "metrics")]
    [InlineData("prod", "telemetry-gateway", "gateway", "metrics")]
    public void Prometheus_scrapes_the_port_the_policy_lets_it_reach(string overlay, string deployment, string container, string port)
    {
        var template = check.Find(overlay, "Deployment", deployment)["spec"]!["template"]!;
        var ports = template["spec"]!["containers"]!.AsArray().Single(c => (string?)c!["name"] == container)!["ports"]!.AsArray();
        var number = (int)ports.Single(p => (string?)p!["name"] == port)!["containerPort"]!;
        Assert.Equal(number.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)template["metadata"]!["annotations"]!["prometheus.io/port"]);
    }

    private List<JsonNode> Rules(string overlay, string name) =>
        [.. check.Find(overlay, "NetworkPolicy", name)["spec"]!["ingress"]!.AsArray().Select(r => r!)];

    private static IEnumerable<string> Ports(JsonNode rule) => (rule["ports"]?.AsArray() ?? []).Select(p => (string)p!["port"]!);
}
