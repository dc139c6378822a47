using Telemetry.Storage;

namespace Telemetry.Grains;

/// <summary>
/// A tenant's group commits that ended, kept in sequence order until the head moves over them. Commits
/// run several at once and end in any order; <see cref="Through"/> is the end of the contiguous run of
/// ended commits from the head, the farthest the head may move. Touched only in its grain's turns.
/// </summary>
internal sealed class FinishedCommits
{
    private readonly SortedList<long, Segment> _byFrom = [];

    /// <summary>Every commit at or below this has ended.</summary>
    public long Through { get; private set; }

    public void Reset(long head)
    {
        _byFrom.Clear();
        Through = head;
    }

    /// <summary>Takes a commit of sequence numbers <paramref name="from"/> + 1 .. <paramref name="through"/> and the events it stored.</summary>
    public void Add(long from, long through, List<EventLogReader.LoggedEvent> stored, DateTimeOffset earliestReceived)
    {
        _byFrom.Add(from, new Segment(from, through, stored, earliestReceived));
        while (_byFrom.TryGetValue(Through, out var next)) Through = next.Through;
    }

    /// <summary>The earliest receipt time among the commits up to <paramref name="to"/>: no older week holds their events.</summary>
    public DateTimeOffset EarliestReceivedUpTo(long to)
    {
        var earliest = DateTimeOffset.MaxValue;
        foreach (var segment in _byFrom.Values)
        {
            if (segment.From >= to) break;
            if (segment.EarliestReceived < earliest) earliest = segment.EarliestReceived;
        }
        return earliest;
    }

    /// <summary>Removes and answers, in order, the commits up to <paramref name="to"/>.</summary>
    public List<Segment> RemoveUpTo(long to)
    {
        var taken = new List<Segment>();
        while (_byFrom.Count > 0 && _byFrom.Values[0].Through <= to)
        {
            taken.Add(_byFrom.Values[0]);
            _byFrom.RemoveAt(0);
        }
        return taken;
    }

    /// <summary>One ended commit: sequence numbers From + 1 .. Through, and the events stored among them.</summary>
    public sealed record Segment(long From, long Through, List<EventLogReader.LoggedEvent> Events, DateTimeOffset EarliestReceived);
}
