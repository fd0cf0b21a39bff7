using System.Reflection;
using Microsoft.Extensions.Logging;

namespace PushService.Tests.Unit;

public sealed class LogEventIdTests
{
    [Fact]
    public void EveryLogEventIdIsUnique()
    {
        var ids = typeof(PushService.PushServiceExtensions).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            .Select(m => m.GetCustomAttribute<LoggerMessageAttribute>())
            .Where(a => a is not null)
            .Select(a => a!.EventId)
            .ToList();

        Assert.NotEmpty(ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }
}
