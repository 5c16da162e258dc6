using System.Globalization;

namespace CostGrains.Billing;

[GenerateSerializer]
public sealed class BillingState
{
    [Id(0)] public Dictionary<string, BillingAccount> Accounts { get; set; } = new(StringComparer.Ordinal);

    [Id(1)] public List<Invoice> Invoices { get; set; } = [];

    [Id(2)] public long LastInvoiceNumber { get; set; }
}

/// <summary>
/// An organization's billing accounts and issued invoices. Issuing is idempotent per account and
/// period, and an issued invoice is only ever read: it is the record finance filed.
/// </summary>
public sealed class BillingGrain([PersistentState("billing", GrainStorage.Name)] IPersistentState<BillingState> state)
    : Grain, IBillingGrain
{
    public async Task<AccountResult> PutAccount(string key, string name, IReadOnlyList<string> projects, string timeZone)
    {
        foreach (var other in state.State.Accounts.Values.Where(a => a.Key != key))
        {
            if (other.Projects.Intersect(projects, StringComparer.Ordinal).FirstOrDefault() is { } taken)
            {
                return new AccountResult(AccountChange.ProjectTaken, null, $"Project '{taken}' already belongs to billing account '{other.Key}'.");
            }
        }

        var existing = state.State.Accounts.GetValueOrDefault(key);
        var account = new BillingAccount(key, name, projects.Distinct(StringComparer.Ordinal).ToList(), timeZone, existing?.CreatedAt ?? DateTimeOffset.UtcNow);
        state.State.Accounts[key] = account;
        await state.WriteStateAsync();
        return new AccountResult(existing is null ? AccountChange.Created : AccountChange.Updated, account);
    }

    public Task<BillingAccount?> GetAccount(string key) => Task.FromResult(state.State.Accounts.GetValueOrDefault(key));

    public Task<IReadOnlyList<BillingAccount>> ListAccounts() =>
        Task.FromResult<IReadOnlyList<BillingAccount>>(state.State.Accounts.Values.OrderBy(a => a.Key, StringComparer.Ordinal).ToList());

    public async Task<(Invoice Invoice, bool Created)> Issue(Invoice draft)
    {
        if (state.State.Invoices.Find(i => i.Account == draft.Account && i.Period == draft.Period) is { } issued)
        {
            return (issued, false);
        }

        var number = state.State.LastInvoiceNumber + 1;
        var invoice = draft with { Number = $"INV-{number.ToString("D6", CultureInfo.InvariantCulture)}" };
        state.State.Invoices.Add(invoice);
        state.State.LastInvoiceNumber = number;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State.Invoices.RemoveAt(state.State.Invoices.Count - 1);
            state.State.LastInvoiceNumber = number - 1;
            throw;
        }

        return (invoice, true);
    }

    public Task<IReadOnlyList<Invoice>> ListInvoices(string account) =>
        Task.FromResult<IReadOnlyList<Invoice>>(state.State.Invoices.Where(i => i.Account == account).OrderByDescending(i => i.Period, StringComparer.Ordinal).ToList());

    public Task<Invoice?> GetInvoice(string number) => Task.FromResult(state.State.Invoices.Find(i => i.Number == number));
}
