using System.Diagnostics;

namespace PushService.Bench;

/// <summary>
/// S subscribers on one topic; notifications published as fast as a window of W in flight
/// allows (one is in flight until every subscriber has it). Reports deliveries per second and
/// server CPU per delivery; with --bare the same load runs against a bare SignalR broadcast.
/// </summary>
internal static class FanoutScenario
{
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(10);

    public static async Task RunAsync(BenchOptions options, Topology topology, BenchReport report, CancellationToken cancellationToken)
    {
        var s = options.Subscribers!.Value;
        var run = Scenarios.RunId();
        var topic = $"bench-{run}";
        var recorder = new DeliveryRecorder(s, stride: 1);
        using var window = new SemaphoreSlim(options.Window);
        recorder.Completed = _ => window.Release();
        await using var subscribers = await SubscriberSet.ConnectAsync(topology, options, s, i => $"bench-{run}-f{i}", topic, recorder, cancellationToken);
        var idleCpu = await Scenarios.IdleServerCpuAsync(topology, options.Idle, cancellationToken);
        using var publisher = new RestPublisher(topology, maxConnectionsPerNode: options.Window, options.PayloadBytes);
        var cpu = new CpuWindow(Scenarios.Measured(topology));

        var sends = new List<Task<bool>>();
        var start = Stopwatch.GetTimestamp();
        recorder.MeasureFrom = start + Pacing.Ticks(options.Warmup);
        recorder.MeasureTo = recorder.MeasureFrom + Pacing.Ticks(options.Duration);
        long receivedAtStart = 0, windowStarted = 0;
        var stalled = false;
        for (long k = 0; k < options.MaxCount && Stopwatch.GetTimestamp() < recorder.MeasureTo; k++)
        {
            if (!await window.WaitAsync(StallTimeout, cancellationToken))
            {
                stalled = true;
                break;
            }
            if (windowStarted == 0 && Stopwatch.GetTimestamp() >= recorder.MeasureFrom)
            {
                cpu.Start();
                receivedAtStart = recorder.Received;
                windowStarted = Stopwatch.GetTimestamp();
            }
            recorder.Expect(k, s);
            sends.Add(Send(publisher, recorder, window, topic, k, cancellationToken));
        }
        if (windowStarted == 0)
        {
            cpu.Start();
            windowStarted = Stopwatch.GetTimestamp();
        }
        var usage = cpu.Stop();
        var deliveries = recorder.Received - receivedAtStart;
        var seconds = Stopwatch.GetElapsedTime(windowStarted).TotalSeconds;
        await Task.WhenAll(sends);

        var accepted = sends.Count(t => t.Result);
        long expected = (long)accepted * s;
        await Pacing.PollAsync(() => recorder.Received >= expected, options.Grace, cancellationToken);
        long lost = 0;
        for (var k = 0; k < sends.Count; k++)
        {
            if (sends[k].Result)
            {
                for (var i = 0; i < s; i++)
                {
                    lost += recorder.Seen(i, k) ? 0 : 1;
                }
            }
        }

        report.Add("subscribers connected", subscribers.Count, "");
        report.Add("notifications published", sends.Count, "");
        report.Add("accepted (202)", accepted, "");
        report.Add("deliveries expected", expected, "");
        report.Add("received", recorder.Received, "");
        report.Add("lost", lost, "");
        report.Add("duplicates", recorder.Duplicates, "");
        report.Add("publishes/s (window)", deliveries / (double)s / seconds, "/s", 1);
        report.Add("deliveries/s (window)", deliveries / seconds, "/s");
        report.AddCpu(usage, deliveries, "delivery", idleCpu: idleCpu, seconds: seconds);
        report.Latencies["publish→handler"] = LatencySummary.From(recorder.FromSend);
        if (subscribers.ClosedNote() is { } closed)
        {
            report.Notes.Add(closed);
        }
        if (stalled)
        {
            report.Notes.Add($"stalled: no notification in the window completed within {StallTimeout.TotalSeconds} s (deliveries lost or a subscriber stuck); the run ended early.");
        }
    }

    private static async Task<bool> Send(RestPublisher publisher, DeliveryRecorder recorder, SemaphoreSlim window, string topic, long seq, CancellationToken cancellationToken)
    {
        var ok = await publisher.PublishAsync((int)(seq % publisher.NodeCount), null, topic, seq, 0, null, cancellationToken);
        if (!ok)
        {
            // Never delivered: free its place in the window.
            recorder.Forget(seq);
            window.Release();
        }
        return ok;
    }
}
