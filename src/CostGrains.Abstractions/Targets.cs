namespace CostGrains;

/// <summary>The kinds of aggregate a usage event can be attributed to.</summary>
public enum TargetKind : short
{
    Project = 0,
    Allocation = 1,
    Workspace = 2,
}

public static class TargetKinds
{
    /// <summary>The kind as the API, the hub and alert ids spell it: project, allocation, workspace.</summary>
    public static string Name(this TargetKind kind) => kind switch
    {
        TargetKind.Project => "project",
        TargetKind.Allocation => "allocation",
        TargetKind.Workspace => "workspace",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}

/// <summary>One aggregate: an organization's project, allocation or workspace.</summary>
[GenerateSerializer, Immutable]
public readonly record struct TargetRef(
    [property: Id(0)] TargetKind Kind,
    [property: Id(1)] string Org,
    [property: Id(2)] string Key)
{
    /// <summary>The grain key of the aggregate: <c>{org}/{key}</c>.</summary>
    public string GrainKey => $"{Org}/{Key}";

    /// <summary>The stream namespace the aggregate's grain type subscribes to.</summary>
    public string StreamNamespace => StreamNamespaces.For(Kind);

    public static TargetRef FromGrainKey(TargetKind kind, string grainKey)
    {
        var slash = grainKey.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            throw new ArgumentException($"Grain key '{grainKey}' is not of the form org/key.", nameof(grainKey));
        }

        return new TargetRef(kind, grainKey[..slash], grainKey[(slash + 1)..]);
    }

    public override string ToString() => $"{Kind.Name()}:{GrainKey}";
}

/// <summary>Stream namespaces, one per aggregate grain type (implicit subscriptions).</summary>
public static class StreamNamespaces
{
    public const string Project = "cg.usage.project";
    public const string Allocation = "cg.usage.allocation";
    public const string Workspace = "cg.usage.workspace";

    /// <summary>The name of the persistent stream provider that reads the ledger.</summary>
    public const string Provider = "ledger";

    public static string For(TargetKind kind) => kind switch
    {
        TargetKind.Project => Project,
        TargetKind.Allocation => Allocation,
        TargetKind.Workspace => Workspace,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static TargetKind KindOf(string streamNamespace) => streamNamespace switch
    {
        Project => TargetKind.Project,
        Allocation => TargetKind.Allocation,
        Workspace => TargetKind.Workspace,
        _ => throw new ArgumentOutOfRangeException(nameof(streamNamespace), streamNamespace, null),
    };
}
