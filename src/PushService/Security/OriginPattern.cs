using System.Diagnostics.CodeAnalysis;

namespace PushService.Security;

/// <summary>One entry of <c>Push:AllowedOrigins</c>: <c>*</c>, an exact origin, or <c>scheme://*.domain[:port]</c>.</summary>
internal sealed class OriginPattern
{
    private const string WildcardLabel = "*.";

    private OriginPattern(bool any, string scheme, string host, int port, bool subdomains)
    {
        Any = any;
        Scheme = scheme;
        Host = host;
        Port = port;
        Subdomains = subdomains;
    }

    public bool Any { get; }

    private string Scheme { get; }

    private string Host { get; }

    private int Port { get; }

    private bool Subdomains { get; }

    public static bool TryParse(string text, [NotNullWhen(true)] out OriginPattern? pattern)
    {
        pattern = null;
        text = text.Trim();
        if (text == "*")
        {
            pattern = new OriginPattern(any: true, "", "", 0, subdomains: false);
            return true;
        }
        // "https://*.example.com" is not a URI the parser takes: parse it with a placeholder label.
        var separator = text.IndexOf("://", StringComparison.Ordinal);
        var subdomains = separator > 0 && string.CompareOrdinal(text, separator + 3, WildcardLabel, 0, WildcardLabel.Length) == 0;
        var parsable = subdomains ? string.Concat(text.AsSpan(0, separator + 3), "wildcard.", text.AsSpan(separator + 3 + WildcardLabel.Length)) : text;
        if (!TryParseOrigin(parsable.TrimEnd('/'), out var scheme, out var host, out var port) || text.Contains('*', StringComparison.Ordinal) != subdomains)
        {
            return false;
        }
        pattern = new OriginPattern(any: false, scheme, subdomains ? host["wildcard".Length..] : host, port, subdomains);
        return true;
    }

    /// <summary>Parses an <c>Origin</c> header value: scheme, host and port only.</summary>
    public static bool TryParseOrigin(string text, out string scheme, out string host, out int port)
    {
        scheme = host = "";
        port = 0;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https")
            || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0
            || text.EndsWith('/'))
        {
            return false;
        }
        scheme = uri.Scheme;
        host = uri.IdnHost.ToLowerInvariant();
        port = uri.Port;
        return true;
    }

    public bool Matches(string scheme, string host, int port)
    {
        if (Any)
        {
            return true;
        }
        if (scheme != Scheme || port != Port)
        {
            return false;
        }
        // Host holds ".example.com" for a subdomain pattern: "a.example.com" matches, "example.com" does not.
        return Subdomains
            ? host.Length > Host.Length && host.EndsWith(Host, StringComparison.Ordinal)
            : host == Host;
    }
}
