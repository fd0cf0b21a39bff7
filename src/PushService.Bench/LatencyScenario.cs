using System.Diagnostics;

namespace PushService.Bench;

/// <summary>
/// S subscribers, each on its own user stream; R notifications a second to single users, each
/// sent when the clock says (open loop: no send waits for a delivery or a response, so queueing
/// shows as latency instead of a slower send rate). Seq k goes to user k mod S through node
/// (k mod S + k / S) mod N, so half of the publishes land on the node the user is not on.
/// </summary>
internal static class LatencyScenario
{
    public static async Task RunAsync(BenchOptions options, Topology topology, BenchReport report, CancellationToken cancellationToken)
    {
        var s = options.Subscribers!.Value;
        var run = Scenarios.RunId();
        var total = (int)Math.Min(options.MaxCount, Math.Ceiling(options.Rate * (options.Warmup + options.Duration).TotalSeconds));
        var recorder = new DeliveryRecorder(s, stride: s);
        await using var subscribers = await SubscriberSet.ConnectAsync(topology, options, s, i => $"bench-{run}-u{i}", null, recorder, cancellationToken);
        var idleCpu = await Scenarios.IdleServerCpuAsync(topology, options.Idle, cancellationToken);
        using var publisher = new RestPublisher(topology, maxConnectionsPerNode: 256, options.PayloadBytes);
        var cpu = new CpuWindow(Scenarios.Measured(topology));
        var publishTimes = Histograms.Create();

        var accepted = new bool[total];
        var sends = new Task[total];
        var interval = Stopwatch.Frequency / (double)options.Rate;
        var start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 10;
        recorder.MeasureFrom = start + Pacing.Ticks(options.Warmup);
        recorder.MeasureTo = recorder.MeasureFrom + Pacing.Ticks(options.Duration);
        long receivedAtStart = 0, receivedAtEnd = 0, windowStarted = 0, windowEnded = 0;
        List<ProcessUsage>? usage = null;

        // A thread of its own: the thread pool may be busy with receives exactly when a send is due.
        var sender = new Thread(() =>
        {
            for (var k = 0; k < total && !cancellationToken.IsCancellationRequested; k++)
            {
                var scheduled = start + (long)(k * interval);
                Pacing.WaitUntil(scheduled);
                if (windowStarted == 0 && scheduled >= recorder.MeasureFrom)
                {
                    cpu.Start();
                    receivedAtStart = recorder.Received;
                    windowStarted = Stopwatch.GetTimestamp();
                }
                var user = k % s;
                var seq = k;
                sends[k] = Send(publisher, (user + k / s) % publisher.NodeCount, $"bench-{run}-u{user}", seq, scheduled, accepted, publishTimes, recorder, cancellationToken);
            }
            usage = cpu.Stop();
            receivedAtEnd = recorder.Received;
            windowEnded = Stopwatch.GetTimestamp();
        })
        { IsBackground = true, Name = "bench sender", Priority = ThreadPriority.AboveNormal };
        sender.Start();
        await Task.Run(sender.Join, cancellationToken);
        await Task.WhenAll(sends.Where(t => t is not null));

        var acceptedCount = accepted.Count(a => a);
        await Pacing.PollAsync(() => recorder.Received >= acceptedCount, options.Grace, cancellationToken);
        var lost = 0;
        for (var k = 0; k < total; k++)
        {
            if (accepted[k] && !recorder.Seen(k % s, k))
            {
                lost++;
            }
        }

        var seconds = Math.Max(1e-9, (windowEnded - windowStarted) / (double)Stopwatch.Frequency);
        var deliveries = receivedAtEnd - receivedAtStart;
        report.Add("subscribers connected", subscribers.Count, "");
        report.Add("notifications sent", sends.Count(t => t is not null), "");
        report.Add("accepted (202)", acceptedCount, "");
        report.Add("publish failures", sends.Count(t => t is not null) - acceptedCount, "");
        report.Add("received", recorder.Received, "");
        report.Add("lost", lost, "");
        report.Add("duplicates", recorder.Duplicates, "");
        report.Add("deliveries/s (window)", deliveries / seconds, "/s");
        report.AddCpu(usage ?? [], deliveries, "delivery", idleCpu: idleCpu, seconds: seconds);
        report.Latencies["publish→handler"] = LatencySummary.From(recorder.FromSend);
        if (subscribers.ClosedNote() is { } closed)
        {
            report.Notes.Add(closed);
        }
        report.Latencies["schedule→handler"] = LatencySummary.From(recorder.FromSchedule);
        report.Latencies["publish HTTP response"] = LatencySummary.From(publishTimes);
    }

    private static async Task Send(RestPublisher publisher, int node, string user, long seq, long scheduled, bool[] accepted, HdrHistogram.HistogramBase times, DeliveryRecorder recorder, CancellationToken cancellationToken)
    {
        long sent = 0;
        var ok = await publisher.PublishAsync(node, user, null, seq, scheduled, t => sent = t, cancellationToken);
        accepted[seq] = ok;
        if (sent >= recorder.MeasureFrom && sent < recorder.MeasureTo)
        {
            times.RecordTicks(Stopwatch.GetTimestamp() - sent);
        }
    }
}
