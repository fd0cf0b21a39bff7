using System.Globalization;
using System.Runtime.InteropServices;

namespace PushService.Bench;

/// <summary>
/// What /proc says about a process and the machine. CPU time is utime+stime from
/// /proc/&lt;pid&gt;/stat in clock ticks (USER_HZ, 100 on Linux): on a shared, noisy machine the CPU
/// a server spent per operation is the figure that others' load cannot fake, unlike wall-clock rates.
/// </summary>
internal static class ProcStats
{
    /// <summary>USER_HZ: the kernel reports /proc CPU times in these; 100 on every Linux ABI .NET runs on.</summary>
    public const double ClockTicksPerSecond = 100;

    /// <summary>CPU seconds (user + system) the process has used, or null when it is gone.</summary>
    public static double? CpuSeconds(int pid)
    {
        var stat = Read($"/proc/{pid}/stat");
        if (stat is null)
        {
            return null;
        }
        // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
        // After it come field 3 (state) onwards; utime and stime are fields 14 and 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / ClockTicksPerSecond;
    }

    /// <summary>Resident set size in KiB (VmRSS), or null when the process is gone.</summary>
    public static long? RssKiB(int pid) => StatusField(pid, "VmRSS:");

    public static long? Threads(int pid) => StatusField(pid, "Threads:");

    /// <summary>The 1, 5 and 15 minute load averages.</summary>
    public static double[] LoadAverage()
    {
        var text = Read("/proc/loadavg") ?? "0 0 0";
        return [.. text.Split(' ').Take(3).Select(s => double.Parse(s, CultureInfo.InvariantCulture))];
    }

    public static MachineInfo Machine(string? redisVersion) => new()
    {
        Processors = Environment.ProcessorCount,
        CpuModel = (Read("/proc/cpuinfo") ?? "").Split('\n')
            .FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown",
        MemoryMiB = MemInfoKiB("MemTotal:") / 1024,
        Kernel = Read("/proc/sys/kernel/osrelease")?.Trim() ?? RuntimeInformation.OSDescription,
        Dotnet = RuntimeInformation.FrameworkDescription,
        Redis = redisVersion,
        OpenFilesLimit = OpenFilesLimit(),
    };

    private static long? StatusField(int pid, string name)
    {
        var status = Read($"/proc/{pid}/status");
        var line = status?.Split('\n').FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal));
        return line is null ? null : long.Parse(line[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private static long MemInfoKiB(string name)
    {
        var line = (Read("/proc/meminfo") ?? "").Split('\n').FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private static string OpenFilesLimit()
    {
        var line = (Read("/proc/self/limits") ?? "").Split('\n').FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var parts = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts is { Length: >= 5 } ? $"{parts[3]} soft / {parts[4]} hard" : "unknown";
    }

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>Reads the CPU and memory of a set of processes at the start and end of a measured window.</summary>
internal sealed class CpuWindow
{
    private readonly IReadOnlyList<MeasuredProcess> _processes;
    private readonly Dictionary<int, (double Cpu, long Rss)> _start = [];
    private long _startTimestamp;

    public CpuWindow(IReadOnlyList<MeasuredProcess> processes) => _processes = processes;

    public void Start()
    {
        _start.Clear();
        foreach (var p in _processes)
        {
            _start[p.Pid] = (ProcStats.CpuSeconds(p.Pid) ?? 0, ProcStats.RssKiB(p.Pid) ?? 0);
        }
        _startTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    /// <summary>Each process's CPU seconds and RSS over the window since <see cref="Start"/>.</summary>
    public List<ProcessUsage> Stop()
    {
        var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(_startTimestamp).TotalSeconds;
        var usage = new List<ProcessUsage>();
        foreach (var p in _processes)
        {
            var (cpu0, rss0) = _start.GetValueOrDefault(p.Pid);
            var cpu = (ProcStats.CpuSeconds(p.Pid) ?? cpu0) - cpu0;
            usage.Add(new ProcessUsage
            {
                Role = p.Role,
                Kind = p.Kind,
                Pid = p.Pid,
                CpuSeconds = Math.Round(cpu, 2),
                CpuPercent = seconds > 0 ? Math.Round(100 * cpu / seconds, 1) : 0,
                RssStartMiB = Math.Round(rss0 / 1024.0, 1),
                RssEndMiB = Math.Round((ProcStats.RssKiB(p.Pid) ?? 0) / 1024.0, 1),
            });
        }
        return usage;
    }
}

/// <summary>A process whose CPU a run reports. Kind: node, redis, server (bare) or client (this tool, workers).</summary>
internal sealed record MeasuredProcess(string Role, string Kind, int Pid);
