using System.Diagnostics;
using System.Globalization;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Cluster;

/// <summary>
/// <c>deploy/local/cluster.sh</c> for one cluster: its folder (<c>CLUSTER_DIR</c>) and its
/// settings as environment variables, each verb run to its end. The script starts, signals and
/// stops every process; this class only reads what it records there (pid files, logs).
/// </summary>
public sealed class ClusterScript(string directory, IReadOnlyDictionary<string, string> environment)
{
    private static readonly TimeSpan VerbTimeout = TimeSpan.FromMinutes(3);

    public static string ScriptPath => Path.Combine(RepositoryPaths.Root, "deploy", "local", "cluster.sh");

    /// <summary>The cluster's folder: pid files, logs, rendered nginx config, secrets.</summary>
    public string Directory { get; } = directory;

    /// <summary>Runs a verb (<c>up</c>, <c>node stop 2</c>…) and throws with its output when it fails.</summary>
    public async Task<string> RunAsync(params string[] arguments)
    {
        var (exitCode, output) = await TryRunAsync(arguments);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"cluster.sh {string.Join(' ', arguments)} exited with {exitCode}:{Environment.NewLine}{output}");
        }
        return output;
    }

    public async Task<(int ExitCode, string Output)> TryRunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ScriptPath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        // Nothing inherited from the test host may configure the cluster: only what the test says.
        foreach (var key in start.Environment.Keys.ToList())
        {
            if (key.StartsWith("CLUSTER_", StringComparison.Ordinal) || key.StartsWith("Push__", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("Push:", StringComparison.OrdinalIgnoreCase) || key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase)
                || key.Equals("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase) || key.Equals("DOTNET_URLS", StringComparison.OrdinalIgnoreCase))
            {
                start.Environment.Remove(key);
            }
        }
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        start.Environment["CLUSTER_DIR"] = Directory;

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(VerbTimeout);
        }
        catch (TimeoutException)
        {
            // Only the script itself: what it started is recorded in pid files, for "down".
            process.Kill(entireProcessTree: false);
            throw new TimeoutException($"cluster.sh {string.Join(' ', arguments)} did not finish within {VerbTimeout.TotalSeconds} s.");
        }
        return (process.ExitCode, await output + await errors);
    }

    /// <summary>
    /// The PID recorded for <paramref name="name"/> (<c>node2</c>, <c>redis</c>, <c>nginx</c>) if that
    /// process still runs as <paramref name="program"/>: the script's own rule.
    /// </summary>
    public int? LivePid(string name, string program)
    {
        var file = Path.Combine(Directory, name + ".pid");
        if (!File.Exists(file) || !int.TryParse(File.ReadAllText(file).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return null;
        }
        try
        {
            // A zombie's command line is empty.
            var commandLine = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline").Replace('\0', ' ');
            return commandLine.Contains(program, StringComparison.Ordinal) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Whether a process runs: it exists and has not exited (a zombie, not yet reaped by its parent, has).</summary>
    public static bool Runs(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            // "pid (name) S ...": the state follows the last ')'.
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The last lines of one of the folder's logs (read while the process still writes it).</summary>
    public string Tail(string file, int lines)
    {
        var path = Path.Combine(Directory, file);
        if (!File.Exists(path))
        {
            return $"--- {file}: none ---";
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var all = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return $"--- {file}, last {Math.Min(lines, all.Length)} of {all.Length} lines ---{Environment.NewLine}"
            + string.Join(Environment.NewLine, all.Skip(Math.Max(0, all.Length - lines)));
    }
}
