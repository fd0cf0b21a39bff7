namespace PushService.Tests.Infrastructure;

/// <summary>Tests that must not share the process with other tests' nodes run here, one at a time, after the rest.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IsolatedCollection
{
    public const string Name = "isolated";
}
