using Microsoft.Extensions.Options;

namespace PushService.History;

/// <summary>Fails start-up with messages that name the <c>Push:History</c> setting at fault.</summary>
internal sealed class HistoryOptionsValidator : IValidateOptions<HistoryOptions>
{
    /// <summary>Redis trims the log with an exact MAXLEN on every append; beyond this it gets slow and memory-hungry.</summary>
    public const int MaxSize = 100_000;

    public ValidateOptionsResult Validate(string? name, HistoryOptions options)
    {
        const string Section = HistoryOptions.SectionName;
        var failures = new List<string>();
        if (options.Size is < 1 or > MaxSize)
        {
            failures.Add($"{Section}:Size must be between 1 and {MaxSize} (got {options.Size}).");
        }
        if (options.Ttl <= TimeSpan.Zero)
        {
            failures.Add($"{Section}:Ttl must be greater than 0 (got {options.Ttl}).");
        }
        if (options.MetaTtl < options.Ttl)
        {
            // The epoch must outlive the entries, or a stream could serve entries under a new epoch's offsets.
            failures.Add($"{Section}:MetaTtl ({options.MetaTtl}) must be at least {Section}:Ttl ({options.Ttl}).");
        }
        if (options.IdempotencyWindow <= TimeSpan.Zero)
        {
            failures.Add($"{Section}:IdempotencyWindow must be greater than 0 (got {options.IdempotencyWindow}).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
