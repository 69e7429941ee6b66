{ What the Pascal test programs share: counting checks, and reading a fixture's bytes. }
unit KohiTestSupport;

{$IFDEF FPC}{$MODE DELPHI}{$H+}{$ENDIF}

interface

uses SysUtils, Classes;

var
  Passed, Failed: Integer;

{ Counts a check; prints what failed. }
procedure Check(Ok: Boolean; const What: string);

{ A file's bytes. }
function ReadBytes(const Path: string): RawByteString;

{ A file's bytes as TBytes (what TKohiResult.CreateFromBytes takes). }
function ReadByteArray(const Path: string): TBytes;

{ The JSON object under Key in Json (braces counted outside strings), or ''. }
function ObjectAt(const Json, Key: RawByteString): RawByteString;

implementation

procedure Check(Ok: Boolean; const What: string);
begin
  if Ok then Inc(Passed) else begin Inc(Failed); WriteLn('FAIL ', What); end;
end;

function ReadBytes(const Path: string): RawByteString;
var
  S: TFileStream;
begin
  S := TFileStream.Create(Path, fmOpenRead or fmShareDenyNone);
  try
    SetLength(Result, S.Size);
    if S.Size > 0 then S.ReadBuffer(Result[1], S.Size);
  finally
    S.Free;
  end;
end;

function ReadByteArray(const Path: string): TBytes;
var
  Text: RawByteString;
begin
  Text := ReadBytes(Path);
  Result := nil;
  SetLength(Result, Length(Text));
  if Length(Text) > 0 then Move(Text[1], Result[0], Length(Text));
end;

function ObjectAt(const Json, Key: RawByteString): RawByteString;
var
  I, Start, Depth: Integer;
  InString, Escaped: Boolean;
begin
  Result := '';
  Start := Pos('"' + Key + '":{', Json);
  if Start = 0 then Exit;
  Start := Start + Length(Key) + 3;
  Depth := 0;
  InString := False;
  Escaped := False;
  for I := Start to Length(Json) do
  begin
    if InString then
    begin
      if Escaped then Escaped := False
      else if Json[I] = '\' then Escaped := True
      else if Json[I] = '"' then InString := False;
    end
    else if Json[I] = '"' then InString := True
    else if Json[I] = '{' then Inc(Depth)
    else if (Json[I] = '}') then
    begin
      Dec(Depth);
      if Depth = 0 then
      begin
        Result := Copy(Json, Start, I - Start + 1);
        Exit;
      end;
    end;
  end;
end;

end.
