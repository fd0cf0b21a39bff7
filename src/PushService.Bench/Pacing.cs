using System.Diagnostics;
using System.Runtime.InteropServices;

namespace PushService.Bench;

/// <summary>
/// Waits for a Stopwatch timestamp on a dedicated thread. Thread.Sleep and timers tick in whole
/// milliseconds, as coarse as the 1 ms between sends at 1,000/s; usleep wakes within ~0.1 ms
/// without spinning a core that the servers need.
/// </summary>
internal static class Pacing
{
    public static void WaitUntil(long timestamp)
    {
        while (true)
        {
            var remaining = timestamp - Stopwatch.GetTimestamp();
            if (remaining <= 0)
            {
                return;
            }
            var micros = remaining * 1_000_000 / Stopwatch.Frequency;
            if (micros > 20_000)
            {
                Thread.Sleep(10);
            }
            else if (OperatingSystem.IsLinux())
            {
                _ = USleep((uint)Math.Max(1, micros - 50));
            }
            else
            {
                Thread.Sleep(1);
            }
        }
    }

    public static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Polls <paramref name="done"/> every 20 ms until true or <paramref name="timeout"/> passed.</summary>
    public static async Task<bool> PollAsync(Func<bool> done, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + Ticks(timeout);
        while (!done())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                return false;
            }
            await Task.Delay(20, cancellationToken);
        }
        return true;
    }

    [DllImport("libc", EntryPoint = "usleep")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int USleep(uint microseconds);
}
