// Prints the 第1〜第4公費 of each result file given, as a レセコン would file them.
//   mcs -r:KohiNet.dll PrintSlots.cs && mono PrintSlots.exe res/OQSsiquc01res_0001.xml
using System;
using KohiNet;

static class PrintSlots
{
    static int Main(string[] args)
    {
        foreach (string path in args)
        {
            try
            {
                using (var result = Kohi.ParseFile(path))
                    for (int p = 0; p < result.PatientCount; p++)
                        foreach (var k in result.Kohi(p))
                            if (k.Slot != null)
                                Console.WriteLine($"第{k.Slot}公費 {k.PayerNumber} {k.RecipientNumber} {k.Program ?? k.CertificateName} {k.ValidFrom}..{k.ValidTo}");
            }
            catch (KohiException e)
            {
                Console.Error.WriteLine($"{path}: {e.Code} ({e.Number}): {e.Message}");
                return 1;
            }
        }
        return 0;
    }
}
