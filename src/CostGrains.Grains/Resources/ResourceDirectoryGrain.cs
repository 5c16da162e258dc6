namespace CostGrains.Resources;

[GenerateSerializer]
public sealed class ResourceDirectoryState
{
    [Id(0)] public Dictionary<string, ResourceHolder> Holders { get; set; } = new(StringComparer.Ordinal);
}

[GenerateSerializer]
public sealed record ResourceHolder([property: Id(0)] string Project, [property: Id(1)] DateTimeOffset At);

/// <summary>
/// One shard of an organization's resource directory: the project that reported each resource last (by the report's time, so
/// reports arriving out of order settle the same way). It never calls out, so projects may call it
/// from inside their own turns without risk of a call cycle.
/// </summary>
public sealed class ResourceDirectoryGrain(
    [PersistentState("resources", GrainStorage.Name)] IPersistentState<ResourceDirectoryState> state)
    : Grain, IResourceDirectoryGrain
{
    public async Task<IReadOnlyList<ResourceMove>> Claim(string project, IReadOnlyList<ResourceClaim> claims)
    {
        var moves = new List<ResourceMove>();
        var changed = false;
        foreach (var claim in claims)
        {
            if (!state.State.Holders.TryGetValue(claim.Resource, out var holder))
            {
                state.State.Holders[claim.Resource] = new ResourceHolder(project, claim.At);
                changed = true;
            }
            else if (holder.Project == project)
            {
                if (claim.At > holder.At)
                {
                    state.State.Holders[claim.Resource] = holder with { At = claim.At };
                    changed = true;
                }
            }
            else if (claim.At >= holder.At)
            {
                state.State.Holders[claim.Resource] = new ResourceHolder(project, claim.At);
                moves.Add(new ResourceMove(claim.Resource, holder.Project, project, claim.At));
                changed = true;
            }
            else
            {
                // The claimer's report predates the holder's: the claimer let it go back then.
                moves.Add(new ResourceMove(claim.Resource, project, holder.Project, holder.At));
            }
        }

        if (changed)
        {
            await state.WriteStateAsync();
        }

        return moves;
    }
}

/// <summary>Which directory shard knows a resource.</summary>
public static class ResourceDirectory
{
    /// <summary>Shards per organization; fixed, because a resource's shard must never change.</summary>
    public const int Shards = 16;

    public static string ShardKey(string org, string resource) => $"{org}/{Ledger.LedgerPartitioning.BucketOf(resource, Shards)}";
}
