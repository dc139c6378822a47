using System.Text.RegularExpressions;

namespace Telemetry.Tests.Deploy;

/// <summary>
/// The deployment artefacts: every kustomize overlay of <c>k8s/</c> renders and validates offline
/// (Kubernetes schemas, the operator's CRD, references between objects), a typo fails the check,
/// the rendered objects have the shape the Orleans docs and issue 8 ask for, and the Dockerfiles
/// match the projects and the ports the manifests use. No cluster and no Docker engine needed.
/// </summary>
public sealed partial class ManifestTests(ManifestCheckFixture check) : IClassFixture<ManifestCheckFixture>
{
    private static readonly string[] Overlays = ["dev", "prod"];

    [Fact]
    public void Every_overlay_renders_and_validates_offline()
    {
        Assert.True(check.Result.ExitCode == 0, $"k8s/check/run failed (exit {check.Result.ExitCode}):\n{check.Result.Output}");
        foreach (var overlay in Overlays) Assert.Contains($"ok   overlays/{overlay}:", check.Result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("base/silo.yaml", "minReadySeconds: 60", "minReadySecond: 60", "spec.minReadySecond: unknown field")]
    [InlineData("base/gateway.yaml", "containerPort: 8080", "containerPort: \"8080\"", "containerPort must be integer")]
    [InlineData("base/postgres.yaml", "numberOfInstances: 1", "numberOfInstance: 1", "must have required property 'numberOfInstances'")]
    [InlineData("overlays/prod/postgres.yaml", "synchronous_mode: true", "synchronous_mod: true", "spec.patroni.synchronous_mod: unknown field")]
    [InlineData("base/ingress.yaml", "name: telemetry-gateway", "name: telemetry-gatway", "backend service telemetry-gatway does not exist")]
    [InlineData("base/migrate-job.yaml", "Password=$(DB_PASSWORD)", "Password=$(DB_PASWORD)", "uses $(DB_PASWORD), which is not defined before it")]
    [InlineData("base/kustomization.yaml", "- ingress.yaml", "- ingres.yaml", "kustomize could not render it")]
    [InlineData("base/silo.yaml", "fieldPath: status.podIP", "fieldPath: status.podIp", "fieldRef status.podIp is not a field the downward API offers")]
    [InlineData("overlays/dev/kustomization.yaml", "value: 1", "value: \"1\"", "maxReplicas must be integer")]
    [InlineData("base/network-policy.yaml", "port: client", "port: clients", "port \"clients\" is named by no container it selects")]
    public async Task A_broken_manifest_fails_the_check(string file, string find, string replace, string expected)
    {
        var copy = ManifestCheck.CopyManifests();
        try
        {
            var path = Path.Combine(copy, file);
            var text = await File.ReadAllTextAsync(path);
            Assert.True(text.Contains(find, StringComparison.Ordinal), $"{file} no longer holds '{find}': update this case");
            await File.WriteAllTextAsync(path, text.Replace(find, replace, StringComparison.Ordinal));

            var result = await ManifestCheck.RunAsync("--k8s", copy);

            Assert.True(result.ExitCode == 1, $"the check passed a broken {file} (exit {result.ExitCode}):\n{result.Output}");
            Assert.Contains(expected, result.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void Silos_are_a_deployment_shaped_as_the_orleans_docs_recommend(string overlay)
    {
        var silo = check.Find(overlay, "Deployment", "telemetry-silo");
        var spec = silo["spec"]!;
        Assert.Null(spec["replicas"]); // the HPA owns the count; an apply must not reset it
        Assert.Equal(0, (int)spec["strategy"]!["rollingUpdate"]!["maxUnavailable"]!);
        Assert.Equal(1, (int)spec["strategy"]!["rollingUpdate"]!["maxSurge"]!);
        Assert.True((int)spec["minReadySeconds"]! >= 30);

        var pod = spec["template"]!["spec"]!;
        var container = Container(pod, "silo");
        var env = Env(container);
        Assert.Equal("metadata.name", (string?)env["POD_NAME"]!["valueFrom"]!["fieldRef"]!["fieldPath"]);
        Assert.Equal("metadata.namespace", (string?)env["POD_NAMESPACE"]!["valueFrom"]!["fieldRef"]!["fieldPath"]);
        Assert.Equal("status.podIP", (string?)env["POD_IP"]!["valueFrom"]!["fieldRef"]!["fieldPath"]);
        Assert.Equal("status.podIP", (string?)env["TELEMETRY_ADVERTISED_IP"]!["valueFrom"]!["fieldRef"]!["fieldPath"]);

        // The pod outlives the silo's own shutdown, so grains deactivate and save before the kill.
        var shutdown = int.Parse((string)env["DOTNET_SHUTDOWNTIMEOUTSECONDS"]!["value"]!, CultureInfo.InvariantCulture);
        Assert.True((int)pod["terminationGracePeriodSeconds"]! >= shutdown + 30);

        var resources = container["resources"]!;
        Assert.NotNull(resources["requests"]!["cpu"]);
        Assert.Null(resources["limits"]?["cpu"]);
        Assert.NotNull(resources["limits"]!["memory"]);

        // The database credentials come from a Secret, never from the manifests.
        Assert.NotNull(env["DB_PASSWORD"]!["valueFrom"]!["secretKeyRef"]);
        // Membership lives in PostgreSQL; the Kubernetes hosting package is not used (k8s/base/silo.yaml says why).
        var siloProject = File.ReadAllText(Path.Combine(ServiceProcess.RepositoryRoot, "silo", "Telemetry.Silo.csproj"));
        Assert.DoesNotContain("Microsoft.Orleans.Hosting.Kubernetes", siloProject, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void Only_silos_and_gateways_reach_the_silos_orleans_ports(string overlay)
    {
        // Orleans authenticates no caller: a pod that reached 30000 could call grains past the gateway's keys.
        var rules = check.Find(overlay, "NetworkPolicy", "telemetry-silo")["spec"]!["ingress"]!.AsArray();
        string Component(JsonNode peer) => (string)peer["podSelector"]!["matchLabels"]!["app.kubernetes.io/component"]!;
        var allowed = rules.SelectMany(r => r!["ports"]!.AsArray().Select(p => (Port: (string)p!["port"]!, Rule: r)))
            .Where(x => x.Port is "silo" or "client")
            .ToDictionary(x => x.Port, x => x.Rule["from"]?.AsArray().Select(f => Component(f!)).Order().ToArray());
        Assert.Equal(["silo"], allowed["silo"]!);
        Assert.Equal(["gateway"], allowed["client"]!);
        // The HTTP port takes Prometheus only: MetricsPortPolicyTests.
    }

    [Fact]
    public void Dev_runs_one_silo_one_gateway_and_one_small_postgres()
    {
        foreach (var name in new[] { "telemetry-silo", "telemetry-gateway" })
        {
            var hpa = check.Find("dev", "HorizontalPodAutoscaler", name)["spec"]!;
            Assert.Equal(1, (int)hpa["minReplicas"]!);
            Assert.Equal(1, (int)hpa["maxReplicas"]!);
        }
        var postgres = check.Find("dev", "postgresql", "telemetry-db")["spec"]!;
        Assert.Equal(1, (int)postgres["numberOfInstances"]!);
        Assert.Equal("2Gi", (string?)postgres["volume"]!["size"]);
    }

    [Fact]
    public void Prod_runs_three_silos_two_gateways_and_replicated_postgres()
    {
        Assert.True((int)check.Find("prod", "HorizontalPodAutoscaler", "telemetry-silo")["spec"]!["minReplicas"]! >= 3);
        Assert.True((int)check.Find("prod", "HorizontalPodAutoscaler", "telemetry-gateway")["spec"]!["minReplicas"]! >= 2);
        var postgres = check.Find("prod", "postgresql", "telemetry-db")["spec"]!;
        Assert.True((int)postgres["numberOfInstances"]! >= 2);
        Assert.True((bool)postgres["patroni"]!["synchronous_mode"]!); // no acknowledged event lost on failover
        Assert.True((bool)postgres["enableConnectionPooler"]!);
        Assert.True((int)postgres["connectionPooler"]!["numberOfInstances"]! >= 2); // the pooler is no single point of failure
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void Every_workload_has_its_budget_autoscaler_and_probes(string overlay)
    {
        var objects = check.Objects(overlay);
        foreach (var (name, port) in new[] { ("telemetry-silo", 8081), ("telemetry-gateway", 8080) })
        {
            var deployment = check.Find(overlay, "Deployment", name);
            Assert.Equal(name, (string?)check.Find(overlay, "HorizontalPodAutoscaler", name)["spec"]!["scaleTargetRef"]!["name"]);
            Assert.Contains(objects, o => (string?)o["kind"] == "PodDisruptionBudget" && (string?)o["metadata"]!["name"] == name);

            var container = Container(deployment["spec"]!["template"]!["spec"]!, name["telemetry-".Length..]);
            var ports = container["ports"]!.AsArray().ToDictionary(p => (string)p!["name"]!, p => (int)p!["containerPort"]!);
            foreach (var (probe, path) in new[] { ("livenessProbe", "/health/live"), ("readinessProbe", "/health/ready") })
            {
                var get = container[probe]!["httpGet"]!;
                Assert.Equal(path, (string?)get["path"]);
                Assert.Equal(port, ports[(string)get["port"]!]);
            }
            // The pod outlives the host's own shutdown (and the preStop pause before it).
            var pod = deployment["spec"]!["template"]!["spec"]!;
            var shutdown = int.Parse((string)Env(container)["DOTNET_SHUTDOWNTIMEOUTSECONDS"]!["value"]!, CultureInfo.InvariantCulture);
            var preStop = container["lifecycle"]?["preStop"]?["exec"]?["command"]?.AsArray().Select(a => (string)a!).ToArray() is ["sleep", var seconds]
                ? int.Parse(seconds, CultureInfo.InvariantCulture)
                : 0;
            Assert.True((int)pod["terminationGracePeriodSeconds"]! > shutdown + preStop, $"{name}: terminationGracePeriodSeconds must exceed {shutdown} s + {preStop} s");
        }
        var service = check.Find(overlay, "Service", "telemetry-gateway")["spec"]!["ports"]!.AsArray();
        Assert.Equal(new[] { 8080, 50051 }, service.Select(p => (int)p!["port"]!).Order());
        Assert.Single(objects, o => (string?)o["kind"] == "Ingress");
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void Every_container_runs_as_non_root_with_a_read_only_root_and_no_capabilities(string overlay)
    {
        var pods = check.Objects(overlay).Where(o => o["spec"]?["template"]?["spec"] is not null).ToList();
        Assert.Equal(3, pods.Count); // silo, gateway, migration job
        foreach (var workload in pods)
        {
            var pod = workload["spec"]!["template"]!["spec"]!;
            Assert.True((bool)pod["securityContext"]!["runAsNonRoot"]!);
            Assert.Equal(1654, (int)pod["securityContext"]!["runAsUser"]!);
            Assert.Equal("RuntimeDefault", (string?)pod["securityContext"]!["seccompProfile"]!["type"]);
            Assert.False((bool)pod["automountServiceAccountToken"]!);
            foreach (var container in Containers(pod))
            {
                var context = container["securityContext"]!;
                Assert.True((bool)context["readOnlyRootFilesystem"]!);
                Assert.False((bool)context["allowPrivilegeEscalation"]!);
                Assert.Equal(new[] { "ALL" }, context["capabilities"]!["drop"]!.AsArray().Select(c => (string)c!));
            }
        }
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void Every_setting_the_manifests_give_is_one_the_product_reads(string overlay)
    {
        // The names the product's code reads ("TELEMETRY_HTTP_PORT", "POD_NAME", ...): a setting
        // spelt wrong in a manifest would otherwise be ignored, and the process run on its default.
        var code = string.Concat(new[] { "silo", "gateway", "storage", "observability", "grains" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(ServiceProcess.RepositoryRoot, folder), "*.cs", SearchOption.AllDirectories))
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText));
        var objects = check.Objects(overlay);
        var pods = objects.Where(o => o["spec"]?["template"]?["spec"] is not null).Select(o => o["spec"]!["template"]!["spec"]!);
        foreach (var container in pods.SelectMany(Containers))
        {
            var env = container["env"]?.AsArray().Select(e => e!.AsObject()).ToList() ?? [];
            var fromConfigMaps = (container["envFrom"]?.AsArray() ?? []).Select(f => (string?)f!["configMapRef"]?["name"]).OfType<string>()
                .SelectMany(name => Assert.Single(objects, o => (string?)o["kind"] == "ConfigMap" && (string?)o["metadata"]!["name"] == name)["data"]!.AsObject().Select(kv => kv.Key));
            // Kubernetes expands $(NAME) in a later value: DB_PASSWORD into TELEMETRY_DB, POD_NAMESPACE into OTEL_RESOURCE_ATTRIBUTES.
            var referenced = env.SelectMany(e => VariableReference().Matches((string?)e["value"] ?? "").Select(m => m.Groups["name"].Value)).ToHashSet();
            foreach (var name in env.Select(e => (string)e["name"]!).Concat(fromConfigMaps).Where(n => n.StartsWith("TELEMETRY_", StringComparison.Ordinal) || n.StartsWith("POD_", StringComparison.Ordinal)))
            {
                Assert.True(code.Contains($"\"{name}\"", StringComparison.Ordinal) || referenced.Contains(name),
                    $"{overlay}: container {container["name"]} is given {name}, which no code of the product reads and no other variable uses");
            }
        }
    }

    [Fact]
    public void The_migration_job_runs_db_migrate_with_the_silo_image_directly_on_the_primary()
    {
        var silo = Container(check.Find("prod", "Deployment", "telemetry-silo")["spec"]!["template"]!["spec"]!, "silo");
        var job = check.Find("prod", "Job", "telemetry-db-migrate");
        var migrate = Container(job["spec"]!["template"]!["spec"]!, "migrate");
        Assert.Equal((string?)silo["image"], (string?)migrate["image"]);
        Assert.Equal(new[] { "db", "migrate" }, migrate["args"]!.AsArray().Select(a => (string)a!));
        // The migrator's advisory lock is per session: PgBouncer's transaction pooling would lose it.
        Assert.StartsWith("Host=telemetry-db;", (string?)Env(migrate)["TELEMETRY_DB"]!["value"], StringComparison.Ordinal);
        Assert.StartsWith("Host=telemetry-db-pooler;", (string?)Env(silo)["TELEMETRY_DB"]!["value"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Dockerfile.silo", "silo/Telemetry.Silo.csproj", "telemetry-silo", "silo")]
    [InlineData("Dockerfile.gateway", "gateway/Telemetry.Gateway.csproj", "telemetry-gateway", "gateway")]
    public void The_dockerfiles_publish_the_projects_and_expose_the_ports_the_manifests_use(string dockerfile, string project, string deployment, string container)
    {
        var root = ServiceProcess.RepositoryRoot;
        var text = File.ReadAllText(Path.Combine(root, dockerfile));
        var projectText = File.ReadAllText(Path.Combine(root, project));

        Assert.Contains($"dotnet publish {project} ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("<AssemblyName>", projectText, StringComparison.Ordinal);
        Assert.Contains($"ENTRYPOINT [\"dotnet\", \"{Path.GetFileNameWithoutExtension(project)}.dll\"]", text, StringComparison.Ordinal);

        // The final stage: a runtime image (ASP.NET Core's for a web project), never the SDK.
        var stages = FromLine().Matches(text).Select(m => m.Groups["image"].Value).ToList();
        Assert.True(stages.Count >= 2, "a multi-stage build");
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:", stages.Single(s => s.Contains("/sdk:", StringComparison.Ordinal)), StringComparison.Ordinal);
        var runtime = projectText.Contains("Microsoft.NET.Sdk.Web", StringComparison.Ordinal) ? "mcr.microsoft.com/dotnet/aspnet:" : "mcr.microsoft.com/dotnet/runtime:";
        Assert.StartsWith(runtime, stages[^1], StringComparison.Ordinal);

        var final = text[text.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];
        Assert.Contains("\nUSER $APP_UID", final, StringComparison.Ordinal);
        Assert.Contains("\nHEALTHCHECK ", final, StringComparison.Ordinal);

        var exposed = ExposeLine().Match(final).Groups["ports"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).Order();
        var pod = check.Find("prod", "Deployment", deployment)["spec"]!["template"]!["spec"]!;
        var declared = Container(pod, container)["ports"]!.AsArray().Select(p => (int)p!["containerPort"]!).Order();
        Assert.Equal(declared, exposed);
    }

    [Fact]
    public void The_docker_context_leaves_out_build_outputs_and_local_state()
    {
        var ignored = File.ReadAllLines(Path.Combine(ServiceProcess.RepositoryRoot, ".dockerignore")).Select(l => l.Trim()).ToHashSet();
        foreach (var pattern in new[] { "**/bin/", "**/obj/", "**/node_modules/", ".git/", ".data/" }) Assert.Contains(pattern, ignored);
    }

    private static JsonObject Container(JsonNode pod, string name) =>
        Assert.Single(Containers(pod), c => (string?)c["name"] == name);

    private static IEnumerable<JsonObject> Containers(JsonNode pod) =>
        new[] { pod["initContainers"], pod["containers"] }.Where(list => list is not null).SelectMany(list => list!.AsArray()).Select(c => c!.AsObject());

    private static Dictionary<string, JsonNode> Env(JsonObject container) =>
        container["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => e!);

    [GeneratedRegex(@"^FROM\s+(?<image>\S+)", RegexOptions.Multiline)]
    private static partial Regex FromLine();

    [GeneratedRegex(@"^EXPOSE\s+(?<ports>[0-9 ]+)$", RegexOptions.Multiline)]
    private static partial Regex ExposeLine();

    [GeneratedRegex(@"\$\((?<name>[A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex VariableReference();
}
