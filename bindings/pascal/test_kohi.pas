{ Every golden fixture through kohi.pas (Free Pascal in Delphi mode, as a Delphi vendor would call
  kohi.dll): the JSON contract byte for byte, or the golden's error code; then the inbox once.
    fpc -Mdelphi test_kohi.pas && ./test_kohi ../../fixtures }
program test_kohi;

{$IFDEF FPC}{$MODE DELPHI}{$ENDIF}

uses SysUtils, Classes, kohi, KohiTestSupport;

{ Whitespace outside strings removed: a golden is pretty-printed in the contract's key order. }
function Minify(const Json: RawByteString): RawByteString;
var
  I: Integer;
  InString, Escaped: Boolean;
  C: AnsiChar;
begin
  Result := '';
  InString := False;
  Escaped := False;
  for I := 1 to Length(Json) do
  begin
    C := Json[I];
    if InString then
    begin
      Result := Result + C;
      if Escaped then Escaped := False
      else if C = '\' then Escaped := True
      else if C = '"' then InString := False;
    end
    else if C = '"' then begin InString := True; Result := Result + C; end
    else if not (C in [' ', #9, #10, #13]) then Result := Result + C;
  end;
end;

function KohiText(const S: TKohiStr): RawByteString;
begin
  SetLength(Result, S.Len);
  if S.Len > 0 then Move(S.Ptr^, Result[1], S.Len);
end;

procedure RemoveTree(const Path: RawByteString);
var
  Entry: TSearchRec;
begin
  if FindFirst(Path + '/*', faAnyFile or faDirectory or faHidden, Entry) = 0 then
  begin
    repeat
      if (Entry.Name = '.') or (Entry.Name = '..') then Continue;
      if (Entry.Attr and faDirectory) <> 0 then RemoveTree(Path + '/' + Entry.Name)
      else DeleteFile(Path + '/' + Entry.Name);
    until FindNext(Entry) <> 0;
    FindClose(Entry);
  end;
  RemoveDir(Path);
end;

{ The inbox as a Delphi program drives it: a request registered in one run (kohi_watcher_expect)
  names the face result delivered in the next; the event is acknowledged and not delivered again. }
procedure WriteBytes(const Path: string; const Bytes: RawByteString);
begin
  with TFileStream.Create(Path, fmCreate) do
  try
    WriteBuffer(Bytes[1], Length(Bytes));
  finally
    Free;
  end;
end;

{ The next delivered event, waiting up to 10 s (nil if none came). }
function NextEvent(W: Pointer): Pointer;
var
  I: Integer;
begin
  Result := nil;
  I := 0;
  while (Result = nil) and (I < 50) do
  begin
    Check(kohi_watcher_next(W, 200, @Result) = KOHI_STATUS_OK, 'inbox: next');
    Inc(I);
  end;
end;

procedure Inbox(const Fixtures: RawByteString);
var
  Root, Request: RawByteString;
  W, E: Pointer;
  Paired: TKohiStr;
  Waiting: NativeUInt;
begin
  Root := IncludeTrailingPathDelimiter(GetTempDir) + 'kohi-pascal-' + IntToStr(GetProcessID);
  ForceDirectories(Root + '/face');
  Request := Root + '/req/custom-request.xml';
  W := nil;
  Check(kohi_watcher_new(PAnsiChar(Root), nil, 50, 500, @W, nil) = KOHI_STATUS_OK, 'inbox: watcher');
  Check(kohi_watcher_expect(W, 'Qm9ndXNJZGVudGlmaWVy', PAnsiChar(Request), nil) = KOHI_STATUS_OK, 'inbox: expect');
  kohi_watcher_free(W);
  WriteBytes(Root + '/face/OQSsiquc01res_face_a_1.xml', ReadBytes(Fixtures + 'face_pmh_two.xml'));
  W := nil;
  Check(kohi_watcher_new(PAnsiChar(Root), nil, 50, 500, @W, nil) = KOHI_STATUS_OK, 'inbox: watcher again');
  E := NextEvent(W);
  Check(E <> nil, 'inbox: the face result is delivered');
  if E <> nil then
  begin
    Check((kohi_watch_event_request(E, @Paired) = KOHI_STATUS_OK) and (KohiText(Paired) = Request),
      'inbox: paired with the request registered before the restart');
    Check(kohi_watcher_ack(W, E, nil) = KOHI_STATUS_OK, 'inbox: ack');
    kohi_watch_event_free(E);
  end;
  E := nil;
  Check((kohi_watcher_next(W, 400, @E) = KOHI_STATUS_OK) and (E = nil), 'inbox: not delivered again');
  Waiting := 99;
  Check((kohi_watcher_waiting(W, @Waiting) = KOHI_STATUS_OK) and (Waiting = 0), 'inbox: nothing waiting');
  { A file that does not parse: nil from next while it waits for give_up_after, but waiting. }
  WriteBytes(Root + '/face/OQSsiquc01res_face_unparsed.xml', '<XmlMsg><MessageBody>');
  Check((kohi_watcher_next(W, 200, @E) = KOHI_STATUS_OK) and (E = nil), 'inbox: not yet delivered');
  Check((kohi_watcher_waiting(W, @Waiting) = KOHI_STATUS_OK) and (Waiting = 1), 'inbox: one waiting');
  E := NextEvent(W);
  Check((E <> nil) and (kohi_watch_event_error(E) <> nil), 'inbox: delivered with its error');
  if E <> nil then
  begin
    Check(kohi_watcher_ack(W, E, nil) = KOHI_STATUS_OK, 'inbox: ack the unparsed file');
    kohi_watch_event_free(E);
  end;
  Check((kohi_watcher_waiting(W, @Waiting) = KOHI_STATUS_OK) and (Waiting = 0), 'inbox: drained');
  kohi_watcher_free(W);
  RemoveTree(Root);
  Check(not DirectoryExists(Root), 'inbox: the temporary folder is removed');
end;

{ The survey learns the layout of a file whose PMH data kohi does not know (two kinds of
  certificate under names of their own); that layout reads both of its 公費. }
procedure Survey(const Fixtures: RawByteString);
var
  Known, Missing, Report, Layout: RawByteString;
  Paths: array[0..1] of PAnsiChar;
  Json: PAnsiChar;
  Opts, Res: Pointer;
  Count: NativeUInt;
begin
  Known := Fixtures + 'pmh_two_kinds.xml';
  Missing := Fixtures + 'no_such_file.xml';
  Paths[0] := PAnsiChar(Known);
  Paths[1] := PAnsiChar(Missing);
  Json := nil;
  Check(kohi_survey_files_json(@Paths[0], 2, nil, @Json) = KOHI_STATUS_OK, 'survey: runs');
  Report := RawByteString(Json);
  kohi_string_free(Json);
  Check(Pos('"failed":{"io":1}', Report) > 0, 'survey: the missing file counted by its code');
  Check(Pos('52136017', Report) = 0, 'survey: no value from the file');
  Layout := ObjectAt(Report, 'layout');
  Check(Pos('ChihoIryosho', Layout) > 0, 'survey: a layout with both kinds of certificate');
  Opts := kohi_options_new();
  Check(kohi_options_set_layout_json(Opts, PAnsiChar(Layout), nil) = KOHI_STATUS_OK, 'survey: the layout is accepted');
  Res := nil;
  Check(kohi_parse_file(PAnsiChar(Known), Opts, @Res, nil) = KOHI_STATUS_OK, 'survey: parsed with its layout');
  Count := 0;
  Check((Res <> nil) and (kohi_kohi_count(Res, 0, @Count) = KOHI_STATUS_OK) and (Count = 2),
    'survey: its layout reads both 公費');
  if Res <> nil then kohi_result_free(Res);
  kohi_options_free(Opts);
end;

{ The yes/no fields of a 公費 and their three answers: a local 受給者番号 has no verdict
  (KOHI_TRISTATE_NULL, -1, which kohi.pas lacked until the ABI table read negative values). }
procedure Flags(const Fixtures: RawByteString);
var
  Res: Pointer;
  Flag: Int32;
begin
  Res := nil;
  Check(kohi_parse_file(PAnsiChar(Fixtures + 'face_pmh_two.xml'), nil, @Res, nil) = KOHI_STATUS_OK, 'flags: parsed');
  Flag := 99;
  Check((kohi_kohi_get_flag(Res, 0, 0, KOHI_KOHI_FLAG_RECIPIENT_NUMBER_VALID, @Flag) = KOHI_STATUS_OK) and
    (Flag = KOHI_TRISTATE_TRUE), 'flags: a national 受給者番号 holds');
  Check((kohi_kohi_get_flag(Res, 0, 1, KOHI_KOHI_FLAG_RECIPIENT_NUMBER_VALID, @Flag) = KOHI_STATUS_OK) and
    (Flag = KOHI_TRISTATE_NULL), 'flags: no verdict on a local 受給者番号');
  Check((kohi_kohi_get_flag(Res, 0, 0, KOHI_KOHI_FLAG_ALWAYS_REIMBURSEMENT, @Flag) = KOHI_STATUS_OK) and
    (Flag = KOHI_TRISTATE_FALSE), 'flags: not reimbursement only');
  kohi_result_free(Res);
end;

var
  Dir, Xml, Golden, Want: RawByteString;
  Rec: TSearchRec;
  Res, Err: Pointer;
  Json: PAnsiChar;
  Code: TKohiStr;
  Status: UInt32;
begin
  Dir := IncludeTrailingPathDelimiter(ParamStr(1));
  Passed := 0;
  Failed := 0;
  if FindFirst(Dir + '*.xml', faAnyFile, Rec) = 0 then
  begin
    repeat
      Xml := Dir + Rec.Name;
      Golden := ReadBytes(ChangeFileExt(Xml, '') + '.expected.json');
      Want := Minify(Golden);
      Res := nil;
      Err := nil;
      Status := kohi_parse_file(PAnsiChar(Xml), nil, @Res, @Err);
      if Status = KOHI_STATUS_OK then
      begin
        Check(kohi_result_to_json(Res, @Json) = KOHI_STATUS_OK, Rec.Name + ': to JSON');
        Check(RawByteString(Json) = Want, Rec.Name + ': JSON equals the golden');
        kohi_string_free(Json);
        kohi_result_free(Res);
      end
      else
      begin
        Check(kohi_error_name_out(Err, @Code) = KOHI_STATUS_OK, Rec.Name + ': error name');
        Check(Pos('"code":"' + KohiText(Code) + '"', Want) > 0, Rec.Name + ': error ' + string(KohiText(Code)));
        kohi_error_free(Err);
      end;
    until FindNext(Rec) <> 0;
    FindClose(Rec);
  end;
  Check(Passed >= 40, 'there are fixtures');
  { The unit's start-up check: this library passes; another patch is the same ABI; another minor
    before 1.0 (or no version) is not. }
  Check(KohiLibraryProblem(kohi_version()) = '', 'the library passes the unit''s check');
  Check(KohiLibraryProblem(PAnsiChar(AnsiString(IntToStr(KOHI_VERSION_MAJOR) + '.' + IntToStr(KOHI_VERSION_MINOR) + '.99'))) = '',
    'another patch release is the same ABI');
  Check(Pos('is version 0.999.0', KohiLibraryProblem('0.999.0')) > 0, 'another minor is another ABI');
  Check(KohiLibraryProblem('garbage') <> '', 'no version is no ABI');
  Flags(Dir);
  Inbox(Dir);
  Survey(Dir);
  WriteLn(Passed, ' passed, ', Failed, ' failed');
  if Failed > 0 then Halt(1);
end.
