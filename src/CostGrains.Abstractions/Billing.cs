namespace CostGrains;

/// <summary>A billing account: the projects it pays for and the time zone its days and months are counted in.</summary>
[GenerateSerializer, Immutable]
public sealed record BillingAccount(
    [property: Id(0)] string Key,
    [property: Id(1)] string Name,
    [property: Id(2)] IReadOnlyList<string> Projects,
    [property: Id(3)] string TimeZone,
    [property: Id(4)] DateTimeOffset CreatedAt);

/// <summary>One invoice line: a project's billed cost of one category in the period, to the cent.</summary>
[GenerateSerializer, Immutable]
public sealed record InvoiceLine(
    [property: Id(0)] string Project,
    [property: Id(1)] string ProjectName,
    [property: Id(2)] string Category,
    [property: Id(3)] decimal Amount);

/// <summary>An issued invoice: a closed month of one billing account. Never changed once issued.</summary>
[GenerateSerializer, Immutable]
public sealed record Invoice(
    [property: Id(0)] string Number,
    [property: Id(1)] string Account,
    [property: Id(2)] string AccountName,
    [property: Id(3)] string Period,
    [property: Id(4)] DateOnly From,
    [property: Id(5)] DateOnly To,
    [property: Id(6)] string TimeZone,
    [property: Id(7)] string Currency,
    [property: Id(8)] IReadOnlyList<InvoiceLine> Lines,
    [property: Id(9)] decimal Total,
    [property: Id(10)] DateTimeOffset IssuedAt);

/// <summary>The outcome of a request to store an account.</summary>
public enum AccountChange
{
    Created,
    Updated,

    /// <summary>A project of the request already belongs to another account.</summary>
    ProjectTaken,
}

[GenerateSerializer, Immutable]
public sealed record AccountResult(
    [property: Id(0)] AccountChange Change,
    [property: Id(1)] BillingAccount? Account,
    [property: Id(2)] string? Conflict = null);

/// <summary>An organization's billing accounts and their invoices (one instance per organization).</summary>
[Alias("CostGrains.IBillingGrain")]
public interface IBillingGrain : IGrainWithStringKey
{
    /// <summary>Creates or replaces an account; a project may belong to one account only.</summary>
    [Alias("PutAccount")]
    Task<AccountResult> PutAccount(string key, string name, IReadOnlyList<string> projects, string timeZone);

    [Alias("GetAccount")]
    Task<BillingAccount?> GetAccount(string key);

    [Alias("ListAccounts")]
    Task<IReadOnlyList<BillingAccount>> ListAccounts();

    /// <summary>
    /// Issues the invoice unless one for the same account and period exists — then that one is
    /// returned unchanged (invoices are immutable). The number is assigned here.
    /// </summary>
    [Alias("Issue")]
    Task<(Invoice Invoice, bool Created)> Issue(Invoice draft);

    [Alias("ListInvoices")]
    Task<IReadOnlyList<Invoice>> ListInvoices(string account);

    [Alias("GetInvoice")]
    Task<Invoice?> GetInvoice(string number);
}
