namespace PushService.Client;

/// <summary>Options for a <see cref="PushPublisher"/>.</summary>
public sealed class PushPublisherOptions
{
    /// <summary>
    /// Gets or sets the base URL of the service, for example <c>https://push.example.com</c>; the
    /// publisher appends <c>api/v1/notifications</c> to it (after any path it already has).
    /// Required; must be an absolute <c>http</c> or <c>https</c> URL.
    /// </summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>
    /// Gets or sets the API key sent in the <c>X-Api-Key</c> header. Required.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>Returns why the options are invalid, or <see langword="null"/> when they are valid.</summary>
    internal string? Validate()
    {
        if (BaseAddress is not { IsAbsoluteUri: true } url || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            return "PushPublisherOptions.BaseAddress must be an absolute http or https URL.";
        }
        if (string.IsNullOrWhiteSpace(ApiKey))
        {
            return "PushPublisherOptions.ApiKey is required.";
        }
        return null;
    }
}
