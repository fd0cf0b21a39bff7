using Microsoft.Extensions.Options;

namespace PushService.Security;

internal sealed class OriginOptionsValidator : IValidateOptions<OriginOptions>
{
    public ValidateOptionsResult Validate(string? name, OriginOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.AllowedOrigins.Count; i++)
        {
            if (!OriginPattern.TryParse(options.AllowedOrigins[i], out _))
            {
                failures.Add($"Push:AllowedOrigins:{i} '{options.AllowedOrigins[i]}' is not an origin: use scheme://host[:port] (no path), "
                    + "https://*.example.com for subdomains, or * for any.");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
