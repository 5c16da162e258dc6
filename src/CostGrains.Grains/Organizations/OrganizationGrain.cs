namespace CostGrains.Organizations;

[GenerateSerializer]
public sealed class OrganizationState
{
    [Id(0)] public string? Name { get; set; }

    [Id(1)] public DateTimeOffset CreatedAt { get; set; }

    [Id(2)] public Dictionary<string, Sku> Skus { get; set; } = new(StringComparer.Ordinal);

    [Id(3)] public Dictionary<string, string> AllocationUnits { get; set; } = new(StringComparer.Ordinal);

    [Id(4)] public long Version { get; set; }
}

/// <summary>
/// An organization: its name, price book and allocation units. Ingest asks it for one immutable
/// <see cref="PriceCatalog"/> per batch, so a price change is in force for the next batch on every node.
/// </summary>
public sealed class OrganizationGrain(
    [PersistentState("org", GrainStorage.Name)] IPersistentState<OrganizationState> state)
    : Grain, IOrganizationGrain
{
    private PriceCatalog? _catalog;

    public async Task<bool> Create(string name)
    {
        if (state.State.Name is not null)
        {
            return false;
        }

        state.State.Name = name;
        state.State.CreatedAt = DateTimeOffset.UtcNow;
        await Save();
        return true;
    }

    public Task<OrganizationInfo?> GetInfo() => Task.FromResult(
        state.State.Name is null ? null : new OrganizationInfo(this.GetPrimaryKeyString(), state.State.Name, state.State.CreatedAt));

    public async Task<Sku> PutSku(Sku sku)
    {
        state.State.Skus[sku.Code] = sku with { Rates = sku.Rates.OrderBy(r => r.From).ToArray() };
        await Save();
        return state.State.Skus[sku.Code];
    }

    public Task<Sku?> GetSku(string code) => Task.FromResult(state.State.Skus.GetValueOrDefault(code));

    public Task<IReadOnlyList<Sku>> GetSkus() =>
        Task.FromResult<IReadOnlyList<Sku>>(state.State.Skus.Values.OrderBy(s => s.Code, StringComparer.Ordinal).ToList());

    public Task<PriceCatalog> GetCatalog() => Task.FromResult(Catalog());

    public async Task<PriceCatalog> ClaimAllocationUnits(IReadOnlyDictionary<string, string> units)
    {
        var changed = false;
        foreach (var (allocation, unit) in units)
        {
            changed |= state.State.AllocationUnits.TryAdd(allocation, unit);
        }

        if (changed)
        {
            await Save();
        }

        return Catalog();
    }

    private PriceCatalog Catalog() => _catalog ??= new PriceCatalog(
        this.GetPrimaryKeyString(),
        new Dictionary<string, Sku>(state.State.Skus, StringComparer.Ordinal),
        new Dictionary<string, string>(state.State.AllocationUnits, StringComparer.Ordinal),
        state.State.Version);

    private async Task Save()
    {
        state.State.Version++;
        _catalog = null;
        await state.WriteStateAsync();
    }
}
