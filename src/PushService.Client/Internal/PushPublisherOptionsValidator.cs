using Microsoft.Extensions.Options;

namespace PushService.Client.Internal;

internal sealed class PushPublisherOptionsValidator : IValidateOptions<PushPublisherOptions>
{
    public ValidateOptionsResult Validate(string? name, PushPublisherOptions options)
        => options.Validate() is { } error ? ValidateOptionsResult.Fail(error) : ValidateOptionsResult.Success;
}
