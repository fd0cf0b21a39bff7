using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PushService.Bench;

/// <summary>
/// Every process this tool starts, so that exactly those are killed — by PID, never by name —
/// at the end, on failure, on Ctrl+C and when the tool itself exits.
/// </summary>
internal static class ChildProcesses
{
    private static readonly Lock Gate = new();
    private static readonly List<Process> Running = [];

    static ChildProcesses() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    /// <summary>Starts a process whose output is kept (last lines) for error messages; stdin is redirected when asked.</summary>
    /// <param name="onEnd">Called when the output ends (the process exited and every line was read).</param>
    public static ChildProcess Start(ProcessStartInfo start, string name, Action<string>? onLine = null, Action? onEnd = null)
    {
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process);
        // Output must be drained, or a chatty child blocks on a full pipe.
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                onEnd?.Invoke();
            }
            child.OnLine(e.Data, onLine);
        };
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data is null ? null : "[stderr] " + e.Data, null);
        lock (Gate)
        {
            process.Start();
            Running.Add(process);
        }
        child.Pid = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    public static void Kill(Process process)
    {
        lock (Gate)
        {
            Running.Remove(process);
        }
        try
        {
            if (!process.HasExited)
            {
                // SIGKILL to this PID only: the service and redis-server start no children of their own.
                process.Kill(entireProcessTree: false);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public static void KillAll()
    {
        Process[] all;
        lock (Gate)
        {
            all = [.. Running];
        }
        foreach (var process in all)
        {
            Kill(process);
        }
    }

    /// <summary>How to run this tool again as a child: <c>dotnet PushService.Bench.dll verb …</c>.</summary>
    public static ProcessStartInfo Self(string verb, IEnumerable<string> arguments)
    {
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo(host);
        start.ArgumentList.Add(typeof(ChildProcesses).Assembly.Location);
        start.ArgumentList.Add(verb);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        return start;
    }
}

/// <summary>A started process with the tail of its output.</summary>
internal sealed class ChildProcess(string name, Process process) : IDisposable
{
    private readonly Queue<string> _tail = new();

    public string Name { get; } = name;

    public Process Process { get; } = process;

    public int Pid { get; internal set; }

    public bool HasExited => Process.HasExited;

    public void OnLine(string? line, Action<string>? onLine)
    {
        if (line is null)
        {
            return;
        }
        lock (_tail)
        {
            _tail.Enqueue(line);
            if (_tail.Count > 40)
            {
                _tail.Dequeue();
            }
        }
        onLine?.Invoke(line);
    }

    public string Tail()
    {
        lock (_tail)
        {
            var s = new StringBuilder();
            s.Append(CultureInfo.InvariantCulture, $"--- {Name} (pid {Pid}{(Process.HasExited ? ", exited" : "")}), last lines ---");
            foreach (var line in _tail)
            {
                s.AppendLine().Append(line);
            }
            return s.ToString();
        }
    }

    public void Dispose()
    {
        ChildProcesses.Kill(Process);
        Process.Dispose();
    }
}
