using System.Numerics;
using System.Runtime.CompilerServices;

namespace AlertHub.Core.Targeting;

/// <summary>Bitset helpers over resident ordinals; plain ulong[] keeps them poolable and cheap to combine.</summary>
internal static class Bits
{
    public static int WordCount(int bitCount) => (bitCount + 63) >> 6;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Get(ulong[] words, int index) => (words[index >> 6] & (1UL << index)) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Set(ulong[] words, int index) => words[index >> 6] |= 1UL << index;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Clear(ulong[] words, int index) => words[index >> 6] &= ~(1UL << index);

    public static int PopCount(ulong[] words, int wordCount)
    {
        var total = 0;
        for (var i = 0; i < wordCount; i++)
        {
            total += BitOperations.PopCount(words[i]);
        }

        return total;
    }

    /// <summary>Word i of a bitset that may be shorter than the index's capacity (missing words are zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong WordOrZero(ulong[] words, int i) => i < words.Length ? words[i] : 0;
}
