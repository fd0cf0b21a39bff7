using System.Net;
using System.Reflection;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PushService.Client;
using PushService.Tests.Infrastructure;

// TLS 1.1 appears on purpose: the node must refuse it.
#pragma warning disable SYSLIB0039, CA5397

namespace PushService.Tests.Security;

/// <summary>
/// HTTPS and WSS served by the node itself, from Kestrel's own configuration
/// (<c>Kestrel:Endpoints:Https:Url</c> and <c>:Certificate</c>), TLS 1.2 and 1.3 only.
/// </summary>
public sealed class TlsTests : IDisposable
{
    private const string Password = "test-certificate-password";
    private readonly string _directory = Directory.CreateTempSubdirectory("push-tls-").FullName;
    private readonly X509Certificate2 _certificate = CreateSelfSigned();

    public void Dispose()
    {
        _certificate.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Theory]
    [InlineData("pfx")]
    [InlineData("pem")]
    public async Task APublishOverHttpsReachesAnSdkSubscriberOverWss(string format)
    {
        await using var node = await PushNode.StartAsync(HttpsSettings(format));
        Assert.Equal("https", node.Url.Scheme);

        using var publisher = new HttpClient(TrustingHandler()) { BaseAddress = node.Url };
        publisher.DefaultRequestHeaders.Add("X-Api-Key", PushNode.ApiKey);
        var seen = new Inbox<Notification>();
        await using var client = new PushClient(new PushClientOptions
        {
            Url = node.Url,
            Transports = HttpTransportType.WebSockets,
            AccessTokenProvider = () => Task.FromResult<string?>(TestTokens.For("tomas")),
            HttpMessageHandlerFactory = _ => TrustingHandler(),
            ConfigureConnection = builder => builder.Services.Configure<HttpConnectionOptions>(o =>
                o.WebSocketConfiguration = ws => ws.RemoteCertificateValidationCallback = IsOurCertificate),
        });
        using var _ = client.OnAny(seen.Add);
        await client.StartAsync().DefaultTimeout();

        var id = await publisher.PublishAsync(new { type = "t", users = new[] { "tomas" } });
        await seen.WaitForAsync(n => n.Id == id);
    }

    [Fact]
    public async Task Tls12And13AreServedAndOlderProtocolsRefused()
    {
        await using var node = await PushNode.StartAsync(HttpsSettings("pfx"));

        Assert.Equal(SslProtocols.Tls12, await HandshakeAsync(node.Url, SslProtocols.Tls12));
        Assert.Equal(SslProtocols.Tls13, await HandshakeAsync(node.Url, SslProtocols.Tls13));

        // What the node's HTTPS endpoints are configured with, as Kestrel applies it to each of them.
        var kestrel = node.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value;
        var https = new HttpsConnectionAdapterOptions();
        var applyDefaults = typeof(KestrelServerOptions).GetMethod("ApplyHttpsDefaults", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException("KestrelServerOptions.ApplyHttpsDefaults is gone: find another way to read the HTTPS defaults.");
        applyDefaults.Invoke(kestrel, [https]);
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, https.SslProtocols);

        // A real TLS 1.1 client only where this machine's TLS library still speaks it (proven against
        // a server of our own); Debian's OpenSSL refuses it outright, so there the check above is what counts.
        if (await LocalStackSpeaksTls11Async())
        {
            await Assert.ThrowsAnyAsync<Exception>(() => HandshakeAsync(node.Url, SslProtocols.Tls11));
        }
    }

    private Dictionary<string, string?> HttpsSettings(string format)
    {
        var settings = PushNode.DefaultSettings();
        settings["Kestrel:Endpoints:Https:Url"] = "https://127.0.0.1:0";
        if (format == "pfx")
        {
            var path = Path.Combine(_directory, "push.pfx");
            File.WriteAllBytes(path, _certificate.Export(X509ContentType.Pfx, Password));
            settings["Kestrel:Endpoints:Https:Certificate:Path"] = path;
            settings["Kestrel:Endpoints:Https:Certificate:Password"] = Password;
        }
        else
        {
            var certificate = Path.Combine(_directory, "push.crt");
            var key = Path.Combine(_directory, "push.key");
            File.WriteAllText(certificate, _certificate.ExportCertificatePem());
            using var rsa = _certificate.GetRSAPrivateKey()!;
            File.WriteAllText(key, rsa.ExportPkcs8PrivateKeyPem());
            settings["Kestrel:Endpoints:Https:Certificate:Path"] = certificate;
            settings["Kestrel:Endpoints:Https:Certificate:KeyPath"] = key;
        }
        return settings;
    }

    private async Task<SslProtocols> HandshakeAsync(Uri url, SslProtocols protocols)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(url.Host, url.Port).DefaultTimeout();
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = protocols,
            RemoteCertificateValidationCallback = IsOurCertificate,
        }).DefaultTimeout();
        return tls.SslProtocol;
    }

    private async Task<bool> LocalStackSpeaksTls11Async()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepted = Task.Run(async () =>
        {
            using var socket = await listener.AcceptTcpClientAsync();
            await using var server = new SslStream(socket.GetStream());
            await server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate, EnabledSslProtocols = SslProtocols.Tls11 });
        });
        try
        {
            await HandshakeAsync(new Uri($"https://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}"), SslProtocols.Tls11);
            await accepted.DefaultTimeout();
            return true;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            return false;
        }
    }

    private HttpClientHandler TrustingHandler() => new() { ServerCertificateCustomValidationCallback = (_, certificate, _, _) => IsOurCertificate(null!, certificate, null, SslPolicyErrors.None) };

    private bool IsOurCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
        certificate is not null && certificate.GetCertHashString() == _certificate.GetCertHashString();

    private static X509Certificate2 CreateSelfSigned()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // Through PFX, so that the key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx, Password), Password, X509KeyStorageFlags.Exportable);
    }
}
