using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using HdrHistogram;

namespace PushService.Bench;

/// <summary>One run's result: written as a table for people and as JSON for tools.</summary>
internal sealed class BenchReport
{
    public string Scenario { get; init; } = "";
    public DateTimeOffset StartedAt { get; init; } = DateTimeOffset.UtcNow;
    public MachineInfo Machine { get; set; } = new();
    public Dictionary<string, string> Parameters { get; init; } = [];
    public double[] LoadAverageBefore { get; set; } = [];
    public double[] LoadAverageAfter { get; set; } = [];
    public List<Metric> Metrics { get; } = [];
    public Dictionary<string, LatencySummary> Latencies { get; } = [];
    public List<ProcessUsage> Processes { get; } = [];
    public List<string> Notes { get; } = [];

    public void Add(string name, double value, string unit, int decimals = 0)
        => Metrics.Add(new Metric(name, Math.Round(value, decimals), unit));

    public Metric? Find(string name) => Metrics.Find(m => m.Name == name);

    /// <summary>
    /// Adds the CPU of the measured processes over the window, and the CPU per operation: all
    /// servers (nodes + Redis, or the bare server), nodes alone and Redis alone.
    /// </summary>
    /// <param name="idleCpu">Servers' CPU seconds per second before the load (negative: not measured).</param>
    /// <param name="seconds">The window's length, to subtract the idle CPU from it.</param>
    public void AddCpu(IReadOnlyList<ProcessUsage> usage, long operations, string operation, string prefix = "", double idleCpu = -1, double seconds = 0)
    {
        Processes.AddRange(usage.Select(u => u with { Role = prefix + u.Role }));
        double Sum(Func<ProcessUsage, bool> which) => usage.Where(which).Sum(u => u.CpuSeconds);
        var servers = Sum(u => u.Kind is "node" or "redis" or "server");
        var nodes = Sum(u => u.Kind is "node" or "server");
        var redis = Sum(u => u.Kind == "redis");
        Add(prefix + "server CPU", servers, "s", 2);
        if (operations > 0)
        {
            Add($"{prefix}server CPU per {operation}", servers * 1e6 / operations, "µs", 2);
            Add($"{prefix}  nodes", nodes * 1e6 / operations, "µs", 2);
            if (usage.Any(u => u.Kind == "redis"))
            {
                Add($"{prefix}  redis", redis * 1e6 / operations, "µs", 2);
            }
            Add($"{prefix}client CPU per {operation}", Sum(u => u.Kind == "client") * 1e6 / operations, "µs", 2);
        }
        if (idleCpu >= 0)
        {
            Add(prefix + "idle server CPU before the load", 100 * idleCpu, "% of a core", 1);
            if (operations > 0)
            {
                Add($"{prefix}marginal server CPU per {operation}", Math.Max(0, servers - idleCpu * seconds) * 1e6 / operations, "µs", 2);
            }
        }
    }

    public string ToTable()
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"== {Scenario} — {StartedAt:yyyy-MM-dd HH:mm:ss}Z, {Machine.Processors} × {Machine.CpuModel}, load {Load(LoadAverageBefore)} → {Load(LoadAverageAfter)}");
        s.AppendLine("   " + string.Join(", ", Parameters.Select(p => $"{p.Key}: {p.Value}")));
        var width = Math.Max(20, Metrics.Count == 0 ? 0 : Metrics.Max(m => m.Name.Length) + 2);
        foreach (var m in Metrics)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"   {m.Name.PadRight(width)}{Format(m.Value),14} {m.Unit}");
        }
        if (Latencies.Count > 0)
        {
            var nameWidth = Math.Max(24, Latencies.Keys.Max(k => k.Length) + 2);
            s.AppendLine(CultureInfo.InvariantCulture, $"   {"latency (ms)".PadRight(nameWidth)}{"count",10}{"p50",9}{"p90",9}{"p99",9}{"p99.9",9}{"max",9}");
            foreach (var (name, l) in Latencies)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"   {name.PadRight(nameWidth)}{l.Count,10}{l.P50,9:0.000}{l.P90,9:0.000}{l.P99,9:0.000}{l.P999,9:0.000}{l.Max,9:0.000}");
            }
        }
        if (Processes.Count > 0)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"   {"process",-24}{"pid",8}{"CPU s",9}{"CPU %",8}{"RSS MiB",16}");
            foreach (var p in Processes)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"   {p.Role,-24}{p.Pid,8}{p.CpuSeconds,9:0.00}{p.CpuPercent,8:0.0}{$"{p.RssStartMiB:0} → {p.RssEndMiB:0}",16}");
            }
        }
        foreach (var note in Notes)
        {
            s.AppendLine("   note: " + note);
        }
        return s.ToString();
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private static string Load(double[] load) => load.Length == 0 ? "?" : string.Join(" ", load.Select(l => l.ToString("0.00", CultureInfo.InvariantCulture)));

    private static string Format(double value) => Math.Abs(value) >= 1000 || value == Math.Floor(value)
        ? value.ToString("#,0", CultureInfo.InvariantCulture)
        : value.ToString("0.###", CultureInfo.InvariantCulture);
}

internal sealed record Metric(string Name, double Value, string Unit);

internal sealed record ProcessUsage
{
    public string Role { get; init; } = "";
    public string Kind { get; init; } = "";
    public int Pid { get; init; }
    public double CpuSeconds { get; init; }
    public double CpuPercent { get; init; }
    public double RssStartMiB { get; init; }
    public double RssEndMiB { get; init; }
}

internal sealed class MachineInfo
{
    public int Processors { get; init; }
    public string CpuModel { get; init; } = "";
    public long MemoryMiB { get; init; }
    public string Kernel { get; init; } = "";
    public string Dotnet { get; init; } = "";
    public string? Redis { get; init; }
    public string OpenFilesLimit { get; init; } = "";
}

/// <summary>Percentiles in milliseconds of a histogram recorded in nanoseconds.</summary>
internal sealed record LatencySummary(long Count, double P50, double P90, double P99, double P999, double Max, double Mean)
{
    public static LatencySummary From(HistogramBase h)
    {
        static double Ms(long ns) => Math.Round(ns / 1e6, 3);
        return h.TotalCount == 0
            ? new LatencySummary(0, 0, 0, 0, 0, 0, 0)
            : new LatencySummary(h.TotalCount, Ms(h.GetValueAtPercentile(50)), Ms(h.GetValueAtPercentile(90)),
                Ms(h.GetValueAtPercentile(99)), Ms(h.GetValueAtPercentile(99.9)), Ms(h.GetMaxValue()), Math.Round(h.GetMean() / 1e6, 3));
    }
}

/// <summary>Latency histograms in nanoseconds, 1 µs to 60 s at three significant digits, safe to record from many threads.</summary>
internal static class Histograms
{
    public static LongConcurrentHistogram Create() => new(1_000, 60_000_000_000, 3);

    /// <summary>Records a Stopwatch interval (clamped into range: a clock step must not throw mid-run).</summary>
    public static void RecordTicks(this HistogramBase histogram, long ticks)
        => histogram.RecordValue(Math.Clamp((long)(ticks * NanosPerTick), 1_000, 60_000_000_000));

    private static readonly double NanosPerTick = 1e9 / System.Diagnostics.Stopwatch.Frequency;
}
