using CostGrains.Client;

namespace CostGrains.Tests;

public sealed class ClientTests
{
    [Fact]
    public void Events_without_ids_get_one_that_stays_the_same_across_retries()
    {
        var events = new[] { new UsageEvent { Time = DateTimeOffset.UtcNow, Project = "p", Amount = 1 }, new UsageEvent { Id = "mine", Time = DateTimeOffset.UtcNow, Project = "p", Amount = 1 } };
        var withIds = CostGrainsClient.WithIds(events);
        Assert.False(string.IsNullOrEmpty(withIds[0].Id));
        Assert.Equal("mine", withIds[1].Id);
        Assert.Same(withIds, CostGrainsClient.WithIds(withIds));
    }
}
