namespace Telemetry.Tests.Deploy;

/// <summary>Runs <c>k8s/check/run</c>, the manifest check (kustomize and offline schema validation), as a process.</summary>
public static class ManifestCheck
{
    /// <summary>The first run installs the check's npm packages (and, where a machine has no kubectl, a pinned one).</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(8);

    public static string K8sDirectory => Path.Combine(ServiceProcess.RepositoryRoot, "k8s");

    /// <summary>What a run printed (stdout and stderr together) and how it ended.</summary>
    public sealed record Result(int ExitCode, string Output);

    public static async Task<Result> RunAsync(params string[] arguments)
    {
        // Through bash, so that a checkout that lost the script's executable bit still runs it.
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = ServiceProcess.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(K8sDirectory, "check", "run"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"k8s/check/run did not finish within {Timeout}:\n{Snapshot()}");
        }
        // The asynchronous readers may still hold the last lines: this overload waits for them.
        await process.WaitForExitAsync(CancellationToken.None);
        return new Result(process.ExitCode, Snapshot());

        void Append(string? line)
        {
            if (line is null) return;
            lock (output) output.AppendLine(line);
        }

        string Snapshot()
        {
            lock (output) return output.ToString();
        }
    }

    /// <summary>Copies base/ and overlays/ of k8s/ into a new temporary folder, for a check of a changed copy.</summary>
    public static string CopyManifests()
    {
        var target = Directory.CreateTempSubdirectory("telemetry-k8s-").FullName;
        foreach (var folder in new[] { "base", "overlays" }) CopyDirectory(Path.Combine(K8sDirectory, folder), Path.Combine(target, folder));
        return target;
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        foreach (var directory in Directory.GetDirectories(source)) CopyDirectory(directory, Path.Combine(target, Path.GetFileName(directory)));
    }
}

/// <summary>One check of the real k8s/ for the whole class: its result and the overlays it rendered, as JSON.</summary>
public sealed class ManifestCheckFixture : IAsyncLifetime
{
    private readonly string _renderedDirectory = Directory.CreateTempSubdirectory("telemetry-k8s-rendered-").FullName;

    public ManifestCheck.Result Result { get; private set; } = new(-1, "");

    public async Task InitializeAsync() => Result = await ManifestCheck.RunAsync("--json-out", _renderedDirectory);

    public Task DisposeAsync()
    {
        Directory.Delete(_renderedDirectory, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>The objects of an overlay as kustomize rendered them.</summary>
    public IReadOnlyList<JsonObject> Objects(string overlay)
    {
        var file = Path.Combine(_renderedDirectory, overlay + ".json");
        Assert.True(File.Exists(file), $"the check rendered no overlays/{overlay}:\n{Result.Output}");
        return JsonNode.Parse(File.ReadAllText(file))!.AsArray().Select(o => o!.AsObject()).ToList();
    }

    /// <summary>The one object of <paramref name="kind"/> named <paramref name="name"/> in an overlay.</summary>
    public JsonObject Find(string overlay, string kind, string name) =>
        Assert.Single(Objects(overlay), o => (string?)o["kind"] == kind && (string?)o["metadata"]?["name"] == name);
}
