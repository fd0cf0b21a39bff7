#:package Microsoft.Diagnostics.Tracing.TraceEvent@3.1.21
#:property ManagePackageVersionsCentrally=false
#:property TreatWarningsAsErrors=false

// Sums a .NET heap snapshot by type: reads a nettrace recorded with the runtime's heap-dump events
// (see heap-snapshot.sh) and prints the types holding the most bytes. dotnet-gcdump is not on the
// package feeds this machine reaches; dotnet-trace and TraceEvent are.
using Microsoft.Diagnostics.Tracing;

if (args.Length == 0)
{
    Console.Error.WriteLine("usage: dotnet run heap-summary.cs <trace.nettrace> [top=40] [per=N objects, e.g. connections]");
    return 2;
}
var top = args.Length > 1 ? int.Parse(args[1]) : 40;
var per = args.Length > 2 ? double.Parse(args[2]) : 0;
var names = new Dictionary<ulong, string>();
var types = new Dictionary<ulong, (long Count, long Bytes)>();
using (var source = new EventPipeEventSource(args[0]))
{
    source.Clr.TypeBulkType += data =>
    {
        for (var i = 0; i < data.Count; i++)
        {
            names[data.Values(i).TypeID] = data.Values(i).TypeName;
        }
    };
    source.Clr.GCBulkNode += data =>
    {
        for (var i = 0; i < data.Count; i++)
        {
            var node = data.Values(i);
            types.TryGetValue(node.TypeID, out var sum);
            types[node.TypeID] = (sum.Count + 1, sum.Bytes + (long)node.Size);
        }
    };
    source.Process();
}
var total = types.Values.Sum(t => t.Bytes);
Console.WriteLine($"{total / 1048576.0:F1} MiB in {types.Values.Sum(t => t.Count):N0} objects" + (per > 0 ? $"; {total / per / 1024:F1} KiB per {per:N0}" : ""));
Console.WriteLine($"{"bytes",14} {"objects",10} {(per > 0 ? "B each/N" : ""),9}  type");
foreach (var (id, sum) in types.OrderByDescending(t => t.Value.Bytes).Take(top))
{
    var name = names.TryGetValue(id, out var n) ? n : $"type {id}";
    Console.WriteLine($"{sum.Bytes,14:N0} {sum.Count,10:N0} {(per > 0 ? (sum.Bytes / per).ToString("N0") : ""),9}  {name}");
}
return 0;
