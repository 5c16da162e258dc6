using System.Diagnostics;

namespace CostGrains.Benchmarks;

/// <summary>
/// CPU time spent over a phase by this process (node and load generator) and by every PostgreSQL
/// process on the machine, per event. On a machine whose speed drifts, the CPU per event moves
/// less than events/s, so it is the better figure to compare two versions by.
/// </summary>
internal sealed class CpuMeter
{
    // Linux reports process times in USER_HZ ticks, 100 per second on every architecture .NET runs on.
    private const double TicksPerSecond = 100;

    private readonly TimeSpan _process;
    private readonly TimeSpan _postgres;

    private CpuMeter(TimeSpan process, TimeSpan postgres)
    {
        _process = process;
        _postgres = postgres;
    }

    public static CpuMeter Start() => new(ProcessCpu(), PostgresCpu());

    public string PerEvent(long events)
    {
        var process = (ProcessCpu() - _process).TotalMicroseconds / events;
        var postgres = (PostgresCpu() - _postgres).TotalMicroseconds / events;
        return $"CPU per event: node + load generator {process:N1} µs, PostgreSQL {postgres:N1} µs";
    }

    private static TimeSpan ProcessCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    /// <summary>User + system time of the processes named postgres (zero where /proc is missing).</summary>
    private static TimeSpan PostgresCpu()
    {
        double ticks = 0;
        foreach (var dir in Directory.Exists("/proc") ? Directory.EnumerateDirectories("/proc") : [])
        {
            try
            {
                // /proc/<pid>/stat: "pid (comm) state ..."; utime and stime are fields 14 and 15.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var close = stat.LastIndexOf(')');
                if (close < 0 || !stat.AsSpan(0, close).EndsWith("(postgres"))
                {
                    continue;
                }

                var fields = stat[(close + 2)..].Split(' ');
                ticks += double.Parse(fields[11]) + double.Parse(fields[12]);
            }
            catch (IOException)
            {
                // The process ended meanwhile.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }
}
