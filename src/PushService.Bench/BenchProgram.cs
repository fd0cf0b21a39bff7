using System.Runtime.InteropServices;

namespace PushService.Bench;

internal static class BenchProgram
{
    public static async Task<int> Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case ConnectionsWorker.Verb: return await ConnectionsWorker.RunAsync(args[1..]);
            case BareServer.Verb: return await BareServer.RunAsync(args[1..]);
        }
        BenchOptions options;
        try
        {
            options = BenchOptions.Parse(args);
            if (options.Help || args.Length == 0)
            {
                Console.WriteLine(BenchOptions.Usage);
                return 0;
            }
            options.Resolve();
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine("bench: " + ex.Message);
            return 2;
        }

        // Ctrl+C and SIGTERM end the run through its token, so the topology is torn down in order;
        // whatever is still running at exit is killed by PID (ChildProcesses).
        using var cancel = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            Console.Error.WriteLine("bench: stopping…");
            cancel.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        try
        {
            var report = await Scenarios.RunAsync(options, cancel.Token);
            Console.WriteLine(report.ToTable());
            if (options.JsonPath is { } path)
            {
                await File.WriteAllTextAsync(path, report.ToJson());
                Console.Error.WriteLine($"bench: wrote {path}");
            }
            return 0;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            Console.Error.WriteLine("bench: cancelled.");
            return 130;
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException or ArgumentException)
        {
            Console.Error.WriteLine("bench: " + ex.Message);
            return 1;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine("bench: failed: " + ex);
            return 1;
        }
        finally
        {
            ChildProcesses.KillAll();
        }
    }
}
