namespace PushService.Security;

/// <summary>Which browser origins may use the service, bound from the <c>Push</c> section.</summary>
public sealed class OriginOptions
{
    /// <summary>
    /// Origins whose pages may connect to the hub and call the API from a browser: exact origins
    /// (<c>https://app.example.com</c>, <c>http://localhost:3000</c>), subdomain patterns
    /// (<c>https://*.example.com</c>), or <c>*</c> for any. Default (empty): any origin in Development,
    /// elsewhere only pages of the service's own host name. Requests without an <c>Origin</c> header
    /// (native apps, servers) are not affected.
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = [];
}
