namespace CostGrains;

/// <summary>An aggregate fed by the usage stream: totals, burn and budget state in memory.</summary>
[Alias("CostGrains.IUsageAggregateGrain")]
public interface IUsageAggregateGrain : IGrainWithStringKey
{
    /// <summary>The aggregate's current totals, served from memory.</summary>
    [Alias("GetSnapshot")]
    Task<AggregateSnapshot> GetSnapshot();

    /// <summary>Renames and/or archives the aggregate; its usage and totals are untouched.</summary>
    [Alias("UpdateProfile")]
    Task<AggregateSnapshot> UpdateProfile(string? name, bool? archived);

    /// <summary>Sets (or with null removes) the budget; crossings the usage so far reaches are announced.</summary>
    [Alias("SetBudget")]
    Task<AggregateSnapshot> SetBudget(BudgetPolicy? policy);

    /// <summary>Applies any ledger rows after the watermark that the stream has not delivered.</summary>
    [Alias("Resync")]
    Task Resync();

    /// <summary>Writes the in-memory state (totals + watermark) to storage now.</summary>
    [Alias("Checkpoint")]
    Task Checkpoint();
}

[Alias("CostGrains.IProjectGrain")]
public interface IProjectGrain : IUsageAggregateGrain
{
    /// <summary>Burn, spend, resources, deployments and credits: the project's drill-down.</summary>
    [Alias("GetDetail")]
    Task<ProjectDetail> GetDetail();

    /// <summary>Stops counting the resource in this project's burn: another project reported it later.</summary>
    [Alias("ReleaseResource"), Orleans.Concurrency.AlwaysInterleave]
    Task ReleaseResource(string resource, string movedTo, DateTimeOffset at);

    /// <summary>Funds prepaid credits; a grant id already funded changes nothing.</summary>
    [Alias("FundCredits")]
    Task<CreditStatus> FundCredits(CreditGrant grant, decimal? alertBelow);

    /// <summary>Sets (or with null removes) runaway detection.</summary>
    [Alias("SetRunaway")]
    Task<ProjectDetail> SetRunaway(RunawayPolicy? policy);
}

[Alias("CostGrains.IAllocationGrain")]
public interface IAllocationGrain : IUsageAggregateGrain;

[Alias("CostGrains.IWorkspaceGrain")]
public interface IWorkspaceGrain : IUsageAggregateGrain;

/// <summary>An organization: its name, its price book and the units of its allocations.</summary>
[Alias("CostGrains.IOrganizationGrain")]
public interface IOrganizationGrain : IGrainWithStringKey
{
    /// <summary>Creates the organization; false when it already exists.</summary>
    [Alias("Create")]
    Task<bool> Create(string name);

    [Alias("GetInfo")]
    Task<OrganizationInfo?> GetInfo();

    [Alias("PutSku")]
    Task<Sku> PutSku(Sku sku);

    [Alias("GetSku")]
    Task<Sku?> GetSku(string code);

    [Alias("GetSkus")]
    Task<IReadOnlyList<Sku>> GetSkus();

    /// <summary>The price book and allocation units, as one immutable snapshot.</summary>
    [Alias("GetCatalog")]
    Task<PriceCatalog> GetCatalog();

    /// <summary>
    /// Fixes the unit of allocations seen for the first time (first use wins) and returns the
    /// catalog that ingest must validate against.
    /// </summary>
    [Alias("ClaimAllocationUnits")]
    Task<PriceCatalog> ClaimAllocationUnits(IReadOnlyDictionary<string, string> units);
}

/// <summary>An API key, keyed by the SHA-256 of its secret.</summary>
[Alias("CostGrains.IApiKeyGrain")]
public interface IApiKeyGrain : IGrainWithStringKey
{
    [Alias("Register")]
    Task Register(string org, KeyRole role);

    [Alias("Get")]
    Task<ApiKeyInfo?> Get();
}
