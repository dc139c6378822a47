namespace Telemetry.Grains;

/// <summary>
/// The per-category counters of one bucket size, as a compact array sorted by (bucket, category):
/// 32 bytes a cell and no hashing. Live events land at or near the end, a window is a suffix,
/// pruning drops a prefix. Counts per cell are 32-bit: one category of one hour holds up to about
/// 2.1 billion events (600,000 a second for the whole hour).
/// </summary>
internal sealed class BucketSeries
{
    private Cell[] _cells = [];

    /// <summary>One category's counters in one bucket; <see cref="Index"/> is unix time / bucket size.</summary>
    public struct Cell
    {
        public int Index;
        public int TypeId;
        public int Count;
        public int Success;
        public int Failure;
        public int DurationCount;
        public double DurationSum;

        public readonly MetricsTotals Totals => new(Count, Success, Failure, DurationSum, DurationCount);

        public void Add(in CountedEvent e) => Add(MetricsTotals.Of(e));

        public void Add(in MetricsTotals totals)
        {
            Count += checked((int)totals.Count);
            Success += checked((int)totals.Success);
            Failure += checked((int)totals.Failure);
            DurationSum += totals.DurationSum;
            DurationCount += checked((int)totals.DurationCount);
        }
    }

    public int Count { get; private set; }

    public ReadOnlySpan<Cell> Cells => _cells.AsSpan(0, Count);

    /// <summary>The cell of (index, type), created empty where it belongs when missing.</summary>
    public ref Cell Find(int index, int typeId)
    {
        // Live events hit the newest bucket: look there before searching.
        var at = Count > 0 && Compare(_cells[Count - 1], index, typeId) < 0 ? ~Count : Search(index, typeId);
        if (at < 0)
        {
            at = ~at;
            Insert(at, new Cell { Index = index, TypeId = typeId });
        }
        return ref _cells[at];
    }

    public void TrimExcess()
    {
        if (_cells.Length > Count) Array.Resize(ref _cells, Count);
    }

    /// <summary>The position of the first cell with an index of at least <paramref name="index"/>.</summary>
    public int LowerBound(int index)
    {
        int lo = 0, hi = Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_cells[mid].Index < index) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>Drops every cell with an index below <paramref name="index"/>; answers whether any went.</summary>
    public bool DropBefore(int index)
    {
        var first = LowerBound(index);
        if (first == 0) return false;
        Array.Copy(_cells, first, _cells, 0, Count - first);
        Count -= first;
        Array.Clear(_cells, Count, first);
        if (Count < _cells.Length / 4) Array.Resize(ref _cells, Math.Max(4, Count * 2));
        return true;
    }

    private int Search(int index, int typeId)
    {
        int lo = 0, hi = Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = Compare(_cells[mid], index, typeId);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return ~lo;
    }

    private void Insert(int at, Cell cell)
    {
        if (Count == _cells.Length) Array.Resize(ref _cells, Count == 0 ? 4 : Count + Count / 2 + 1);
        if (at < Count) Array.Copy(_cells, at, _cells, at + 1, Count - at);
        _cells[at] = cell;
        Count++;
    }

    private static int Compare(in Cell cell, int index, int typeId) =>
        cell.Index != index ? cell.Index.CompareTo(index) : cell.TypeId.CompareTo(typeId);
}
