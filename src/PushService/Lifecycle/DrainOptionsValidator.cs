using Microsoft.Extensions.Options;

namespace PushService.Lifecycle;

internal sealed class DrainOptionsValidator : IValidateOptions<DrainOptions>
{
    public ValidateOptionsResult Validate(string? name, DrainOptions options)
    {
        var failures = new List<string>();
        if (options.Timeout <= TimeSpan.Zero || options.Timeout > TimeSpan.FromHours(1))
        {
            failures.Add($"Push:Drain:Timeout must be between 0 and 1 hour (got {options.Timeout}).");
        }
        if (options.Delay < TimeSpan.Zero || options.Delay >= options.Timeout)
        {
            failures.Add($"Push:Drain:Delay must be at least 0 and less than Push:Drain:Timeout (got {options.Delay}).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
