using System.Runtime.CompilerServices;

namespace PushService.Tests.Infrastructure;

/// <summary>Awaits with a timeout whose failure names the test's file and line.</summary>
public static class TaskTimeoutExtensions
{
    public static readonly TimeSpan DefaultTimeoutSpan = TimeSpan.FromSeconds(15);

    public static async Task<T> DefaultTimeout<T>(this Task<T> task, TimeSpan? timeout = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        try
        {
            return await task.WaitAsync(timeout ?? DefaultTimeoutSpan);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out after {(timeout ?? DefaultTimeoutSpan).TotalSeconds} s awaiting the task at {Path.GetFileName(file)}:{line}.");
        }
    }

    public static async Task DefaultTimeout(this Task task, TimeSpan? timeout = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        try
        {
            await task.WaitAsync(timeout ?? DefaultTimeoutSpan);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out after {(timeout ?? DefaultTimeoutSpan).TotalSeconds} s awaiting the task at {Path.GetFileName(file)}:{line}.");
        }
    }
}
