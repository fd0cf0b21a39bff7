using Microsoft.Extensions.Options;

namespace PushService.Security;

/// <summary>
/// Decides whether a browser page of an origin may use the service (<c>Push:AllowedOrigins</c>):
/// for CORS, and for every request to the hub, where CORS does not apply (WebSocket upgrades).
/// </summary>
internal sealed class OriginPolicy
{
    private readonly OriginPattern[] _patterns;
    private readonly bool _sameOriginOnly;

    public OriginPolicy(IOptions<OriginOptions> options, IHostEnvironment environment)
    {
        var configured = options.Value.AllowedOrigins;
        _patterns = [.. configured.Select(text => OriginPattern.TryParse(text, out var pattern) ? pattern : throw new OptionsValidationException(
            nameof(OriginOptions), typeof(OriginOptions), [$"Push:AllowedOrigins '{text}' is not an origin."]))];
        if (configured.Count == 0 && environment.IsDevelopment())
        {
            // Development: the demo page, a local dev server on another port, anything.
            _patterns = [.. _patterns, OriginPattern.TryParse("*", out var any) ? any : throw new InvalidOperationException()];
        }
        _sameOriginOnly = _patterns.Length == 0;
    }

    public bool AllowsAny => _patterns.Any(p => p.Any);

    /// <summary>Whether a page of <paramref name="origin"/> may call; <paramref name="requestHost"/> is the request's Host, for the same-origin default.</summary>
    public bool IsAllowed(string origin, string? requestHost)
    {
        if (!OriginPattern.TryParseOrigin(origin, out var scheme, out var host, out var port))
        {
            // "null" (sandboxed frames, file: pages) and anything malformed: only "*" lets them in.
            return AllowsAny;
        }
        if (_sameOriginOnly)
        {
            // The service's own pages, by host name only: behind a TLS-terminating proxy the node sees
            // http while the page is https, and nginx's $host drops the port.
            return requestHost is not null && string.Equals(host, HostName(requestHost), StringComparison.OrdinalIgnoreCase);
        }
        return _patterns.Any(p => p.Matches(scheme, host, port));
    }

    private static string HostName(string hostHeader) =>
        Uri.TryCreate("http://" + hostHeader, UriKind.Absolute, out var uri) ? uri.IdnHost : hostHeader;
}
