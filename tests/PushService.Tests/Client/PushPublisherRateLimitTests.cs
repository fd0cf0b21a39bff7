using System.Net;
using PushService.Client;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Client;

/// <summary>The SDK's publisher treats a 429 as retryable, waiting as the service says, within MaxRetryDelay.</summary>
public sealed class PushPublisherRateLimitTests : SingleNodeTest
{
    private const string PatientKey = "patient-publisher-key-0123456789";
    private const string HastyKey = "hasty-publisher-key-0123456789";
    private const int Burst = 5;

    // Two keys with their own buckets: one notification a second, five at once.
    protected override Dictionary<string, string?> Settings => new(PushNode.DefaultSettings())
    {
        ["Push:Limits:MaxBatchSize"] = $"{Burst}",
        ["Push:ApiKeys:1:Name"] = "patient",
        ["Push:ApiKeys:1:Key"] = PatientKey,
        ["Push:ApiKeys:1:RateLimit:PermitsPerSecond"] = "1",
        ["Push:ApiKeys:1:RateLimit:Burst"] = $"{Burst}",
        ["Push:ApiKeys:2:Name"] = "hasty",
        ["Push:ApiKeys:2:Key"] = HastyKey,
        ["Push:ApiKeys:2:RateLimit:PermitsPerSecond"] = "1",
        ["Push:ApiKeys:2:RateLimit:Burst"] = $"{Burst}",
    };

    private static PublishRequest[] Batch() => [.. Enumerable.Range(0, Burst).Select(_ => new PublishRequest("t") { Users = ["alice"] })];

    [Fact]
    public async Task A429IsRetriedAfterRetryAfterAndSucceeds()
    {
        using var recorder = new StatusRecorder { InnerHandler = new HttpClientHandler() };
        using var http = new HttpClient(recorder);
        var publisher = new PushPublisher(http, new PushPublisherOptions { BaseAddress = Node.Url, ApiKey = PatientKey });
        await publisher.PublishBatchAsync(Batch()).DefaultTimeout();

        // The burst is spent: the service answers 429 with Retry-After (1 s), the publisher waits and retries.
        var result = await publisher.PublishAsync(new PublishRequest("t") { Users = ["alice"] }).DefaultTimeout();

        Assert.Equal(HttpStatusCode.TooManyRequests, recorder.Statuses[1]);
        Assert.Equal(HttpStatusCode.Accepted, recorder.Statuses[^1]);
        Assert.False(string.IsNullOrEmpty(result.Id));
    }

    [Fact]
    public async Task RetriesOfA429AreBoundedAndTheLastOneThrowsWithRetryAfter()
    {
        using var recorder = new StatusRecorder { InnerHandler = new HttpClientHandler() };
        using var http = new HttpClient(recorder);
        // MaxRetryDelay caps the service's Retry-After (several seconds for a whole batch) to 10 ms.
        var publisher = new PushPublisher(http, new PushPublisherOptions
        {
            BaseAddress = Node.Url,
            ApiKey = HastyKey,
            MaxRetries = 2,
            MaxRetryDelay = TimeSpan.FromMilliseconds(10),
        });
        await publisher.PublishBatchAsync(Batch()).DefaultTimeout();

        // Another full batch needs five seconds of refill: three quick attempts all find the bucket short.
        var error = await Assert.ThrowsAsync<PushApiException>(() => publisher.PublishBatchAsync(Batch()).DefaultTimeout());

        Assert.Equal(HttpStatusCode.TooManyRequests, error.StatusCode);
        Assert.True(error.RetryAfter >= TimeSpan.FromSeconds(1), $"Retry-After was {error.RetryAfter}");
        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], recorder.Statuses);
    }

    /// <summary>Forwards every request and records each answer's status.</summary>
    private sealed class StatusRecorder : DelegatingHandler
    {
        private readonly List<HttpStatusCode> _statuses = [];

        public IReadOnlyList<HttpStatusCode> Statuses
        {
            get
            {
                lock (_statuses)
                {
                    return [.. _statuses];
                }
            }
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            lock (_statuses)
            {
                _statuses.Add(response.StatusCode);
            }
            return response;
        }
    }
}
