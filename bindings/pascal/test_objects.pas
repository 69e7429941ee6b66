{ KohiObjects.pas as a Delphi program uses it (Free Pascal in Delphi mode): the 公費 of known
  fixtures as UnicodeString fields, errors as EKohiError, the inbox as objects.
    fpc -Mdelphi test_objects.pas && ./test_objects ../../fixtures }
program test_objects;

{$IFDEF FPC}{$MODE DELPHI}{$H+}{$CODEPAGE UTF8}{$ENDIF}

uses SysUtils, Classes, kohi, KohiObjects, KohiTestSupport;

procedure Entries(const Fixtures: string);
var
  R: TKohiResult;
  K: TKohiEntries;
begin
  R := TKohiResult.CreateFromFile(UnicodeString(Fixtures + 'pmh_three_out_of_order.xml'));
  try
    Check(R.PatientCount = 1, 'one patient');
    K := R.Kohi(0);
    Check(Length(K) = 3, 'three 公費');
    Check((K[0].Slot = 1) and (K[0].LawNumber = '21') and (K[0].PayerNumber = '21136015') and (K[0].RecipientNumber = '3000015'), '第1公費');
    Check((K[1].Slot = 2) and (K[1].PayerNumber = '54136015') and (K[1].RecipientNumber = '1112226'), '第2公費');
    Check((K[2].Slot = 3) and (K[2].Scope = 'local') and (K[2].RecipientNumber = 'K000067890'), '第3公費');
    Check(K[0].ProgramName = '障害者総合支援法 自立支援医療（精神通院医療）', 'the program, as UnicodeString');
    Check((K[2].ProgramName = '') and (K[2].CertificateName = 'ひとり親家庭等医療証'), 'a local certificate''s name');
    Check((K[0].ValidFrom = '2025-06-01') and (K[0].ValidTo = '2026-05-31') and (K[0].IncomeSegment = '中間所得2'), 'validity and income segment');
    Check((K[0].PayerNumberValid = kvYes) and (K[0].RecipientNumberValid = kvYes) and (K[2].RecipientNumberValid = kvNone), 'verdicts');
    Check(Pos('"payer_number":"21136015"', R.ToJson) > 0, 'the JSON contract');
    Check(Pos('"patients":[' + R.PatientJson(0) + ']', R.ToJson) > 0, 'a patient''s JSON is its part of the contract');
    Check(R.Header(KOHI_HEADER_FIELD_ENCODING) = 'UTF-8', 'a header field');
    Check(R.PatientField(0, KOHI_PATIENT_FIELD_PMH) = 'received', 'a patient field');
  finally
    R.Free;
  end;
  R := TKohiResult.CreateFromBytes(ReadByteArray(Fixtures + 'fullwidth_padded_numbers.xml'));
  try
    K := R.Kohi(0);
    Check((K[0].PayerNumber = '54136015') and (K[0].PayerNumberRaw = '５４１３６０１５'), 'a number normalised and as written');
    Check((K[0].MaxCopayment = '') and (K[0].AlwaysReimbursement = kvNone), 'not sent: empty, no verdict');
  finally
    R.Free;
  end;
  R := TKohiResult.CreateFromFile(UnicodeString(Fixtures + 'face_pmh_two.xml'));
  try
    K := R.Kohi(0);
    Check((K[0].MaxCopayment = '5000') and (K[0].AlwaysReimbursement = kvNo), 'the cap');
    Check(R.QualificationCount(0) = 1, 'one qualification');
    Check(R.Qualification(0, 0, KOHI_QUALIFICATION_FIELD_NAME) = '見本　花子', 'a qualification field');
  finally
    R.Free;
  end;
  R := TKohiResult.CreateFromFile(UnicodeString(Fixtures + 'medical_aid_a1.xml'));
  try
    K := R.Kohi(0);
    Check((K[0].Source = 'medical_aid') and (K[0].WelfareOfficeName = '新宿区福祉事務所'), '医療扶助');
  finally
    R.Free;
  end;
  R := TKohiResult.CreateFromFile(UnicodeString(Fixtures + 'pmh_overflow.xml'));
  try
    Check((Length(R.Warnings) = 1) and (R.Warnings[0].Code = 'slot_overflow'), 'a fifth 公費 is a warning');
  finally
    R.Free;
  end;
end;

procedure Errors(const Fixtures: string);
var
  Bad: TBytes;
  Text: UTF8String;
begin
  Text := UTF8Encode(UnicodeString('<XmlMsg><見本太郎>'));
  SetLength(Bad, Length(Text));
  Move(Text[1], Bad[0], Length(Text));
  try
    TKohiResult.CreateFromBytes(Bad).Free;
    Check(False, 'malformed: should fail');
  except
    on E: EKohiError do
      Check((E.Code = 'malformed_xml') and (E.Number = KOHI_STATUS_MALFORMED_XML) and (Pos('見本', UnicodeString(E.Message)) = 0),
        'a typed error that says where, not what');
  end;
  try
    TKohiResult.CreateFromFile(UnicodeString(Fixtures + 'no_such_file.xml')).Free;
    Check(False, 'missing: should fail');
  except
    on E: EKohiError do Check((E.Code = 'io') and (E.Number = KOHI_STATUS_IO) and (E.OsCode = 2), 'a missing file: io, ENOENT');
  end;
end;

procedure Streams(const Fixtures: string);
var
  S: TKohiStream;
  R, Whole: TKohiResult;
  Refs: UnicodeString;
  Payers: UnicodeString;
  K: TKohiEntries;
  I: Integer;
begin
  Refs := '';
  Payers := '';
  S := TKohiStream.Create(UnicodeString(Fixtures + 'bulk_three_units.xml'));
  try
    R := S.Next;
    while R <> nil do
    try
      Check(R.PatientCount = 1, 'stream: one patient a result');
      Refs := Refs + R.PatientField(0, KOHI_PATIENT_FIELD_REFERENCE_NUMBER) + ' ';
      K := R.Kohi(0);
      for I := 0 to High(K) do Payers := Payers + K[I].PayerNumber + ' ';
    finally
      R.Free;
      R := S.Next;
    end;
    Check(S.Next = nil, 'stream: nil again after the end');
  finally
    S.Free;
  end;
  Check(Refs = '1001 1002 1003 ', 'stream: every patient, in file order');
  R := TKohiResult.CreateFromFile(UnicodeString(Fixtures + 'bulk_three_units.xml'));
  try
    K := R.Kohi(2);
    Check((Length(K) > 0) and (Pos(K[0].PayerNumber, Payers) > 0), 'stream: the 公費 of the whole parse');
    Check(R.Header(KOHI_HEADER_FIELD_BULK_RECEPTION_NUMBER) = 'R202511160001', 'the bulk file''s status');
  finally
    R.Free;
  end;
  { The remainder: the answer to a failed request has no patient; its header is the rest of the
    file, and its JSON the whole parse's. }
  S := TKohiStream.Create(UnicodeString(Fixtures + 'header_error.xml'));
  try
    Check(S.Remainder = nil, 'stream: no remainder before the end');
    Check(S.Next = nil, 'stream: a failed request has no patient');
    R := S.Remainder;
    try
      Check((R <> nil) and (R.PatientCount = 0), 'stream: the remainder');
      Check(R.Header(KOHI_HEADER_FIELD_ERROR_CODE) = 'PLACEHOLDER-CODE', 'stream: the error code');
      Check(R.Header(KOHI_HEADER_FIELD_BULK_RECEPTION_NUMBER) = '', 'stream: a single result has no bulk status');
      Whole := TKohiResult.CreateFromFile(UnicodeString(Fixtures + 'header_error.xml'));
      try
        Check(R.ToJson = Whole.ToJson, 'stream: the remainder is the whole parse''s JSON');
      finally
        Whole.Free;
      end;
    finally
      R.Free;
    end;
  finally
    S.Free;
  end;
  S := TKohiStream.Create(UnicodeString(Fixtures + 'error_truncated.xml'));
  try
    try
      S.Next.Free;
      Check(False, 'stream: a cut file should fail');
    except
      on E: EKohiError do Check(E.Code = 'malformed_xml', 'stream: a typed error');
    end;
    Check(S.Remainder = nil, 'stream: no remainder after an error');
  finally
    S.Free;
  end;
  try
    TKohiStream.Create(UnicodeString(Fixtures + 'no_such_file.xml')).Free;
    Check(False, 'stream: a missing file should fail');
  except
    on E: EKohiError do Check(E.Code = 'io', 'stream: a missing file is io');
  end;
end;

{ Unknown elements, reconcile, a number's check digit, the survey, the version. }
procedure Tools(const Fixtures: string);
var
  R: TKohiResult;
  U: TKohiUnknowns;
  Changes: UnicodeString;
begin
  R := TKohiResult.CreateFromFile(UnicodeString(Fixtures + 'pmh_attributes.xml'));
  try
    U := R.UnknownElements;
    Check((Length(U) > 0) and (Pos('@FutanshaBango', U[0].Path) > 0) and (U[0].Text = '52136017'), 'unknown elements, kept whole');
  finally
    R.Free;
  end;
  R := TKohiResult.CreateFromFile(UnicodeString(Fixtures + 'face_pmh_two.xml'));
  try
    Check(Length(R.UnknownElements) = 0, 'no unknown element');
    Changes := R.Reconcile(0, '[]', '2025-06-04');
    Check((Pos('"change":"added"', Changes) > 0) and (Pos('"payer_number":"52136017"', Changes) > 0)
      and (Pos('"payer_number":"88131016"', Changes) > 0), 'reconcile: both 公費 are new');
    Changes := R.Reconcile(0, '[{"payer_number":"52136017","recipient_number":"1234566","valid_from":"2025-04-01","valid_to":"2026-03-31","income_segment":"一般Ⅰ","max_copayment":"5000"}]', '2025-06-04');
    Check((Pos('"change":"unchanged","stored":0', Changes) > 0) and (Pos('"change":"added"', Changes) > 0), 'reconcile: one stored as it is, one new');
    try
      R.Reconcile(0, '{"not":"a list"}', '2025-06-04');
      Check(False, 'reconcile: a bad record should fail');
    except
      on E: EKohiError do Check(E.Code = 'invalid_stored_record', 'reconcile: a bad record is typed');
    end;
  finally
    R.Free;
  end;
  Check(KohiCheckNumber(KOHI_NUMBER_KIND_PAYER, '52136017') and KohiCheckNumber(KOHI_NUMBER_KIND_PAYER, '５２１３６０１７'), 'a payer number that holds');
  Check(not KohiCheckNumber(KOHI_NUMBER_KIND_PAYER, '52136018'), 'a payer number that does not');
  Check(Pos('"files":1', KohiSurveyFiles([UnicodeString(Fixtures + 'pmh_attributes.xml')])) > 0, 'the survey of one file');
  Check((KohiVersion <> '') and (Pos('.', KohiVersion) > 0), 'the version');
end;

{ A zip of one stored (uncompressed) file, as a terminal's bulk download is. }
function StoredZip(const Name: AnsiString; const Data: TBytes): TBytes;
var
  Out: TBytes;
  Crc: Cardinal;
  I, K, Directory, Ending: Integer;

  procedure Put(Value: Cardinal; Bytes: Integer);
  var
    B: Integer;
  begin
    for B := 0 to Bytes - 1 do
    begin
      SetLength(Out, Length(Out) + 1);
      Out[High(Out)] := Byte(Value shr (8 * B));
    end;
  end;

  procedure PutName;
  var
    C: Integer;
  begin
    for C := 1 to Length(Name) do Put(Ord(Name[C]), 1);
  end;

  procedure Sizes;
  begin
    Put(Crc, 4); Put(Length(Data), 4); Put(Length(Data), 4); Put(Length(Name), 2);
  end;

begin
  Crc := $FFFFFFFF;
  for I := 0 to High(Data) do
  begin
    Crc := Crc xor Data[I];
    for K := 1 to 8 do
      if (Crc and 1) <> 0 then Crc := (Crc shr 1) xor $EDB88320 else Crc := Crc shr 1;
  end;
  Crc := not Crc;
  Out := nil;
  Put($04034B50, 4); Put(20, 2); Put(0, 2); Put(0, 2); Put(0, 2); Put($21, 2); Sizes; Put(0, 2); PutName;
  for I := 0 to High(Data) do Put(Data[I], 1);
  Directory := Length(Out);
  Put($02014B50, 4); Put(20, 2); Put(20, 2); Put(0, 2); Put(0, 2); Put(0, 2); Put($21, 2); Sizes;
  Put(0, 2); Put(0, 2); Put(0, 2); Put(0, 2); Put(0, 4); Put(0, 4); PutName;
  Ending := Length(Out);
  Put($06054B50, 4); Put(0, 2); Put(0, 2); Put(1, 2); Put(1, 2); Put(Ending - Directory, 4); Put(Directory, 4); Put(0, 2);
  Result := Out;
end;

{ A bulk archive has no Result of its own: its files are the event's Entries. }
procedure InboxArchive(const Fixtures: string);
var
  Root: string;
  Zip: TBytes;
  W: TKohiWatcher;
  E: TKohiWatchEvent;
  I: Integer;
begin
  Root := IncludeTrailingPathDelimiter(GetTempDir) + 'kohi-objects-zip-' + IntToStr(GetProcessID);
  ForceDirectories(Root + '/res');
  Zip := StoredZip('OQSmuquc02res_bulk.xml', ReadByteArray(Fixtures + 'bulk_three_units.xml'));
  with TFileStream.Create(Root + '/res/OQSmuquc02res_bulk.zip', fmCreate) do
  try
    WriteBuffer(Zip[0], Length(Zip));
  finally
    Free;
  end;
  W := TKohiWatcher.Create(UnicodeString(Root), 50, 500);
  try
    Check(W.RecoveredStore = '', 'archive: no ledger was recovered');
    E := nil;
    I := 0;
    while (E = nil) and (I < 50) do begin E := W.Next(200); Inc(I); end;
    Check(E <> nil, 'archive: delivered');
    if E <> nil then
    try
      Check((E.Kind = KOHI_WATCH_KIND_BULK_ARCHIVE) and (E.Result = nil) and (E.Error = nil), 'archive: a bulk archive, no result of its own');
      Check((Length(E.Entries) = 1) and (E.Entries[0].Name = 'OQSmuquc02res_bulk.xml') and (E.Entries[0].Error = nil), 'archive: its entry, parsed');
      Check((Length(E.Entries) = 1) and (E.Entries[0].Result <> nil) and (E.Entries[0].Result.PatientCount = 3), 'archive: the entry''s three patients');
      W.Ack(E);
    finally
      E.Free;
    end;
  finally
    W.Free;
  end;
  DeleteFile(Root + '/res/OQSmuquc02res_bulk.zip');
  DeleteFile(Root + '/.kohi-inbox.sqlite');
  DeleteFile(Root + '/.kohi-inbox.sqlite-wal');
  DeleteFile(Root + '/.kohi-inbox.sqlite-shm');
  DeleteFile(Root + '/.kohi-inbox.lock');
  RemoveDir(Root + '/res');
  RemoveDir(Root);
end;

procedure Inbox(const Fixtures: string);
var
  Opts: TKohiOptions;
  Root: string;
  W: TKohiWatcher;
  E: TKohiWatchEvent;
  I: Integer;
begin
  Root := IncludeTrailingPathDelimiter(GetTempDir) + 'kohi-objects-' + IntToStr(GetProcessID);
  ForceDirectories(Root + '/face');
  with TFileStream.Create(Root + '/face/OQSsiquc01res_face_1.xml', fmCreate) do
  try
    WriteBuffer(ReadByteArray(Fixtures + 'face_pmh_two.xml')[0], Length(ReadByteArray(Fixtures + 'face_pmh_two.xml')));
  finally
    Free;
  end;
  W := TKohiWatcher.Create(UnicodeString(Root), 50, 500);
  try
    E := nil;
    I := 0;
    while (E = nil) and (I < 50) do begin E := W.Next(200); Inc(I); end;
    Check(E <> nil, 'inbox: delivered');
    if E <> nil then
    try
      Check((E.Kind = KOHI_WATCH_KIND_FACE) and (E.Error = nil) and (Length(E.Id) = 81), 'inbox: a face result');
      Check((E.Result <> nil) and (Length(E.Result.Kohi(0)) = 2), 'inbox: its 公費');
      W.Ack(E);
    finally
      E.Free;
    end;
    E := W.Next(400);
    Check((E = nil) and (W.Waiting = 0), 'inbox: acknowledged, not delivered again');
    E.Free;
    W.Cancel;
    try
      W.Next(100);
      Check(False, 'inbox: cancelled should raise');
    except
      on X: EKohiError do Check(X.Code = 'cancelled', 'inbox: cancelled');
    end;
  finally
    W.Free;
  end;
  try
    TKohiWatcher.Create(UnicodeString(Root + '/face')).Free;
    Check(False, 'a folder of the terminal''s: should fail');
  except
    on X: EKohiError do Check(X.Code = 'not_a_terminal_folder', 'a folder of the terminal''s is refused');
  end;
  DeleteFile(Root + '/face/OQSsiquc01res_face_1.xml');
  { A done folder and a ledger elsewhere: the file moves there once acknowledged. }
  with TFileStream.Create(Root + '/face/OQSsiquc01res_face_2.xml', fmCreate) do
  try
    WriteBuffer(ReadByteArray(Fixtures + 'face_pmh_two.xml')[0], Length(ReadByteArray(Fixtures + 'face_pmh_two.xml')));
  finally
    Free;
  end;
  Opts := TKohiOptions.Create;
  try
    Opts.SetDoneDir(UnicodeString(Root + '-done'));
    Opts.SetStateFile(UnicodeString(Root + '-ledger.sqlite'));
    W := TKohiWatcher.Create(UnicodeString(Root), 50, 500, Opts);
    try
      E := nil;
      I := 0;
      while (E = nil) and (I < 50) do begin E := W.Next(200); Inc(I); end;
      Check(E <> nil, 'done: delivered');
      if E <> nil then
      try
        W.Ack(E);
      finally
        E.Free;
      end;
    finally
      W.Free;
    end;
  finally
    Opts.Free;
  end;
  Check(FileExists(Root + '-done/face/OQSsiquc01res_face_2.xml') and not FileExists(Root + '/face/OQSsiquc01res_face_2.xml'),
    'done: moved once acknowledged');
  Check(FileExists(Root + '-ledger.sqlite'), 'state: the ledger where asked');
  DeleteFile(Root + '-done/face/OQSsiquc01res_face_2.xml');
  RemoveDir(Root + '-done/face');
  RemoveDir(Root + '-done');
  DeleteFile(Root + '-ledger.sqlite');
  DeleteFile(Root + '-ledger.sqlite-wal');
  DeleteFile(Root + '-ledger.sqlite-shm');
end;

{ Options: a layout learned by the survey reads PMH data under names kohi does not know; a
  limit and a bad layout are EKohiErrors. }
procedure Options(const Fixtures: string);
var
  Known: RawByteString;
  Paths: array[0..0] of PAnsiChar;
  Json: PAnsiChar;
  Report: RawByteString;
  O: TKohiOptions;
  R: TKohiResult;
begin
  Known := Fixtures + 'pmh_two_kinds.xml';
  R := TKohiResult.CreateFromFile(UnicodeString(Known));
  try
    Check((Length(R.Kohi(0)) = 0) and (R.PatientField(0, KOHI_PATIENT_FIELD_PMH) = 'received_unread'), 'options: unread without a layout');
  finally
    R.Free;
  end;
  Paths[0] := PAnsiChar(Known);
  Json := nil;
  Check(kohi_survey_files_json(@Paths[0], 1, nil, @Json) = KOHI_STATUS_OK, 'options: the survey runs');
  Report := RawByteString(Json);
  kohi_string_free(Json);
  O := TKohiOptions.Create;
  try
    O.SetLayoutJson(UnicodeString(UTF8String(ObjectAt(Report, 'layout'))));
    R := TKohiResult.CreateFromFile(UnicodeString(Known), O);
    try
      Check(Length(R.Kohi(0)) = 2, 'options: the layout reads both 公費');
    finally
      R.Free;
    end;
    try
      O.SetLayoutJson('{"place": {"Name": "Nowhere"}}');
      Check(False, 'options: a bad layout should fail');
    except
      on E: EKohiError do Check((E.Code = 'invalid_layout') and (Pos('place.Name', E.Message) > 0), 'options: a bad layout is named');
    end;
    O.SetMaxInputBytes(100);
    try
      TKohiResult.CreateFromFile(UnicodeString(Known), O).Free;
      Check(False, 'options: over the limit should fail');
    except
      on E: EKohiError do Check(E.Code = 'input_too_large', 'options: the size limit holds');
    end;
  finally
    O.Free;
  end;
end;

procedure Requests;
var
  Req: string;
  Q: TKohiRequest;
  Path: UnicodeString;
  R: TKohiResult;
begin
  Req := IncludeTrailingPathDelimiter(GetTempDir) + 'kohi-objects-req-' + IntToStr(GetProcessID);
  ForceDirectories(Req);
  Q := Default(TKohiRequest);
  Q.MedicalInstitutionCode := '1312345678';
  Q.QualificationConfirmationDate := '2025-06-04';
  Q.InsurerNumber := '138057';
  Q.InsuredCardSymbol := '練馬';
  Q.InsuredIdentificationNumber := '40123';
  Q.Birthdate := '19530311';
  Q.LimitApplicationConsent := True;
  Q.ArbitraryFileIdentifier := 'RC-0007';
  Path := KohiWriteRequest(UnicodeString(Req), Q, 'P1');
  Check(Path = UnicodeString(Req + '/OQSsiquc01req_P1.xml'), 'request: its path');
  R := TKohiResult.CreateFromFile(Path);
  try
    Check((R.Header(KOHI_HEADER_FIELD_ENCODING) = 'Shift_JIS') and (R.Header(KOHI_HEADER_FIELD_ARBITRARY_FILE_IDENTIFIER) = 'RC-0007'),
      'request: Shift_JIS, paired');
    Check(Pos('"raw":"練馬"', R.ToJson) > 0, 'request: the symbol in kanji');
  finally
    R.Free;
  end;
  Q.Birthdate := '';
  try
    KohiWriteRequest(UnicodeString(Req), Q);
    Check(False, 'request: a missing field should fail');
  except
    on E: EKohiError do Check((E.Code = 'invalid_request') and (Pos('birthdate', E.Message) > 0), 'request: a missing field is named');
  end;
  DeleteFile(Path);
  Check(RemoveDir(Req), 'request: nothing else written');
end;

var
  Dir: string;
begin
  Dir := IncludeTrailingPathDelimiter(ParamStr(1));
  Passed := 0;
  Failed := 0;
  Entries(Dir);
  Errors(Dir);
  Streams(Dir);
  Tools(Dir);
  Inbox(Dir);
  InboxArchive(Dir);
  Requests;
  Options(Dir);
  Check(Passed >= 60, 'every check ran');
  WriteLn(Passed, ' passed, ', Failed, ' failed');
  if Failed > 0 then Halt(1);
end.
