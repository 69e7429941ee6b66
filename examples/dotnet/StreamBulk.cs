// Streams a bulk (一括照会) result one patient at a time, in memory that does not grow with the
// file, then reads what the file said besides its patients (its remainder): the bulk status, and
// the header of a failed request, which has no patient at all.
//   mcs -r:KohiNet.dll StreamBulk.cs && mono StreamBulk.exe res/OQSmuquc02res_0001.xml
using System;
using KohiNet;
using KohiNet.Native; // the field enums (KohiHeaderField, KohiPatientField)

static class StreamBulk
{
    static string Or(string value) => value ?? "-";

    static int Main(string[] args)
    {
        int failed = 0;
        foreach (string path in args)
        {
            Console.WriteLine(path);
            int seen = 0;
            try
            {
                using (var stream = Kohi.OpenStream(path))
                {
                    foreach (var patient in stream)
                        using (patient) // one patient, with its unit's warnings
                        {
                            seen++;
                            string status = Or(patient.Patient(0, KohiPatientField.ProcessingResultStatus));
                            Console.WriteLine($"  patient {seen}: status {status}, {patient.Kohi(0).Count} 公費, {patient.Warnings.Count} warning(s)");
                        }
                    var rest = stream.Remainder; // disposed with the stream
                    Console.WriteLine($"  {seen} patient(s); file: segment {Or(rest.Header(KohiHeaderField.SegmentOfResult))}, "
                        + $"error code {Or(rest.Header(KohiHeaderField.ErrorCode))}, "
                        + $"reception {Or(rest.Header(KohiHeaderField.BulkReceptionNumber))}, "
                        + $"bulk status {Or(rest.Header(KohiHeaderField.BulkProcessingResultStatus))}");
                }
            }
            catch (KohiException e)
            {
                // The patients before the fault were handed out; messages never hold patient data.
                Console.WriteLine($"  after {seen} patient(s):\n  error {e.Code}: {e.Message}");
                failed++;
            }
        }
        return failed == 0 ? 0 : 1;
    }
}
