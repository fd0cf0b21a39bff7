using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Diagnostics;

/// <summary>With <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, the node pushes its metrics there over OTLP.</summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task MetricsArePostedToTheConfiguredOtlpEndpoint()
    {
        // A stand-in collector on loopback that keeps the first OTLP/HTTP metrics export it gets.
        var received = new TaskCompletionSource<(string ContentType, byte[] Body)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var collector = builder.Build();
        collector.MapPost("/v1/metrics", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            received.TrySetResult((request.ContentType ?? "", body.ToArray()));
            return Results.Ok();
        });
        await collector.StartAsync().DefaultTimeout();
        var endpoint = collector.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        var settings = PushNode.DefaultSettings();
        settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint;
        settings["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        await using var node = await PushNode.StartAsync(settings);
        using var publisher = node.CreatePublisherClient();
        await publisher.PublishAsync(new { type = "t", users = new[] { "otto" } });

        // Export now rather than at the next period (60 s by default). Its result is false anyway:
        // the Prometheus reader only exports when scraped.
        node.Services.GetRequiredService<MeterProvider>().ForceFlush(10_000);

        var (contentType, body) = await received.Task.DefaultTimeout();
        Assert.Equal("application/x-protobuf", contentType);
        // Protobuf keeps strings as UTF-8: the service's meter and instruments are in the export.
        var text = Encoding.UTF8.GetString(body);
        Assert.Contains("PushService", text, StringComparison.Ordinal);
        Assert.Contains("push.publishes", text, StringComparison.Ordinal);
    }
}
