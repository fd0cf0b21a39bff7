using System.Runtime.CompilerServices;

namespace PushService.Tests.Infrastructure;

/// <summary>
/// Polls state that has no event to await (an HTTP health endpoint, say) every 100 ms until it
/// holds, failing with the test's file and line after the cap.
/// </summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan? timeout = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var cap = timeout ?? TaskTimeoutExtensions.DefaultTimeoutSpan;
        using var cancel = new CancellationTokenSource(cap);
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        do
        {
            if (await condition())
            {
                return;
            }
        }
        while (await tick.WaitForNextTickAsync(CancellationToken.None) && !cancel.IsCancellationRequested);
        throw new TimeoutException($"The condition at {Path.GetFileName(file)}:{line} did not hold within {cap.TotalSeconds} s.");
    }
}
