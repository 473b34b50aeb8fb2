//+------------------------------------------------------------------+
//| BITTENBridge.mq5 - the BITTEN terminal side of CONTRACTS §3.      |
//|                                                                  |
//| Reads fire.txt from MQL5/Files/<InpFolder>/, claims it by rename, |
//| verifies its HMAC-SHA256 signature and expiry, executes it once  |
//| (executed fire_ids are kept on disk) with a CTrade market order, |
//| and appends signed result records to trade_result.txt; writes    |
//| heartbeat.txt every 5 s; POSTs records, heartbeats and tick      |
//| batches to the BITTEN server when InpServerUrl is set. The file  |
//| journal is the truth: HTTP failures are retried with backoff and |
//| never stop execution. docs/ea.md is the manual.                  |
//|                                                                  |
//| One chart, one EA instance per terminal folder. Everything runs |
//| on the EA's thread (OnTimer, OnTradeTransaction); no globals are |
//| shared with other programs.                                      |
//+------------------------------------------------------------------+
#property copyright "BITTEN"
#property version   "1.00"
#property strict

#include <Trade\Trade.mqh>

#define EA_VERSION        "1.0.0"
#define HEARTBEAT_MS      5000
#define TICK_BATCH_MS     250
#define CLAIM_MAX_AGE_S   86400
#define HTTP_TIMEOUT_MS   2000
#define MAX_BACKOFF_MS    60000
#define MAX_PENDING_POSTS 1000
#define MAX_TICKS         2000

//--- inputs (docs/ea.md, "Inputs")
input string InpFolder            = "bitten";   // Folder under MQL5/Files shared with the server
input string InpTerminalId        = "t1";       // Terminal id, [a-z0-9][a-z0-9-]{0,31}
input string InpSecretHex         = "";         // Terminal secret: 64 hex digits (bitten terminals add)
input string InpServerUrl         = "";         // e.g. https://bitten.example.com (empty: files only)
input string InpSymbolSuffix      = "";         // Appended to BITTEN's symbol, e.g. ".m"
input string InpSymbolMap         = "";         // Explicit names, e.g. "XAUUSD=GOLD,EURUSD=EURUSD.r"
input string InpSymbols           = "EURUSD,GBPUSD,AUDUSD,NZDUSD,USDCHF,USDCAD,EURGBP,USDJPY,EURJPY,GBPJPY,XAUUSD"; // Heartbeat specs and ticks
input long   InpMagic             = 20250729;   // Magic when a command carries none
input int    InpMaxSlippagePoints = 30;         // Upper bound on a command's max_slippage_points
input int    InpTimerMs           = 100;        // Timer period in ms
input bool   InpSelfTest          = false;      // Check the shared test vectors at start, then stop

//--- state
CTrade   g_trade;
uchar    g_key[];               // the secret's 32 raw bytes: the HMAC key
long     g_next_seq = 1;
string   g_executed[];          // "<fire_id>" and "close:<fire_id>" already executed
long     g_pos_ids[];           // positions we opened ...
string   g_pos_fire[];          // ... and the fire_id of each
string   g_pos_mission[];
long     g_reported_deals[];    // closing deals already written as close records
string   g_post_path[];         // HTTP retry queue, oldest first
string   g_post_body[];
long     g_post_next_ms = 0;
int      g_post_backoff_ms = 1000;
string   g_ticks = "";          // tick batch JSON members
int      g_tick_count = 0;
long     g_last_tick_msc[];     // per InpSymbols entry
string   g_symbols[];           // BITTEN names of InpSymbols
long     g_last_heartbeat = 0, g_last_ticks = 0, g_last_cleanup = 0;
int      g_beats = 0;
datetime g_gmt_second = 0;
ulong    g_gmt_tick = 0;

//+------------------------------------------------------------------+
//| Time: Unix milliseconds UTC (TimeGMT plus the tick counter).      |
//+------------------------------------------------------------------+
long NowMs()
  {
   datetime g = TimeGMT();
   ulong t = GetTickCount64();
   if(g != g_gmt_second)
     {
      g_gmt_second = g;
      g_gmt_tick = t;
     }
   long frac = (long)(t - g_gmt_tick);
   if(frac > 999)
      frac = 999;
   return (long)g * 1000 + frac;
  }

//+------------------------------------------------------------------+
//| Bytes, hex, SHA-256 and HMAC-SHA256 (RFC 2104 on CryptEncode).    |
//+------------------------------------------------------------------+
void Utf8(const string s, uchar &out[])
  {
   ArrayResize(out, 0);
   if(StringLen(s) == 0)
      return;
   int n = StringToCharArray(s, out, 0, WHOLE_ARRAY, CP_UTF8);
   if(n > 0 && out[n - 1] == 0)
      ArrayResize(out, n - 1);   // drop the terminating zero
  }

string Hex(const uchar &b[])
  {
   string out = "";
   for(int i = 0; i < ArraySize(b); i++)
      out += StringFormat("%02x", (int)b[i]);
   return out;
  }

bool FromHex(const string hex, uchar &out[])
  {
   int n = StringLen(hex);
   if(n % 2 != 0)
      return false;
   ArrayResize(out, n / 2);
   for(int i = 0; i < n / 2; i++)
     {
      int v = 0;
      for(int k = 0; k < 2; k++)
        {
         ushort c = StringGetCharacter(hex, 2 * i + k);
         int d = -1;
         if(c >= '0' && c <= '9') d = c - '0';
         else if(c >= 'a' && c <= 'f') d = c - 'a' + 10;
         else if(c >= 'A' && c <= 'F') d = c - 'A' + 10;
         if(d < 0)
            return false;
         v = v * 16 + d;
        }
      out[i] = (uchar)v;
     }
   return true;
  }

bool Sha256(const uchar &data[], uchar &digest[])
  {
   uchar unused_key[1];
   unused_key[0] = 0;          // CryptEncode ignores the key of a hash method
   ArrayResize(digest, 0);
   return CryptEncode(CRYPT_HASH_SHA256, data, unused_key, digest) == 32;
  }

// Lowercase hex HMAC-SHA256(key, data); "" if CryptEncode fails. Keys here are 32 bytes (< 64).
string HmacHex(const uchar &key[], const uchar &data[])
  {
   uchar block[64];
   ArrayInitialize(block, 0);
   ArrayCopy(block, key, 0, 0, MathMin(ArraySize(key), 64));
   int n = ArraySize(data);
   uchar inner[];
   ArrayResize(inner, 64 + n);
   for(int i = 0; i < 64; i++)
      inner[i] = (uchar)(block[i] ^ 0x36);
   if(n > 0)
      ArrayCopy(inner, data, 64, 0, n);
   uchar inner_hash[];
   if(!Sha256(inner, inner_hash))
      return "";
   uchar outer[];
   ArrayResize(outer, 96);
   for(int i = 0; i < 64; i++)
      outer[i] = (uchar)(block[i] ^ 0x5c);
   ArrayCopy(outer, inner_hash, 64, 0, 32);
   uchar mac[];
   if(!Sha256(outer, mac))
      return "";
   return Hex(mac);
  }

string HmacHexText(const uchar &key[], const string text)
  {
   uchar data[];
   Utf8(text, data);
   return HmacHex(key, data);
  }

// Constant-time comparison of two hex strings of the same length.
bool SameHex(const string a, const string b)
  {
   if(StringLen(a) != StringLen(b) || StringLen(a) == 0)
      return false;
   int diff = 0;
   for(int i = 0; i < StringLen(a); i++)
      diff |= (int)(StringGetCharacter(a, i) ^ StringGetCharacter(b, i));
   return diff == 0;
  }

//+------------------------------------------------------------------+
//| Files (all under MQL5/Files/<InpFolder>/).                         |
//+------------------------------------------------------------------+
string PathOf(const string name) { return InpFolder + "\\" + name; }

bool ReadBytes(const string name, uchar &out[])
  {
   ArrayResize(out, 0);
   int h = FileOpen(PathOf(name), FILE_READ | FILE_BIN | FILE_SHARE_READ | FILE_SHARE_WRITE);
   if(h == INVALID_HANDLE)
      return false;
   int size = (int)FileSize(h);
   if(size > 0)
      FileReadArray(h, out, 0, size);
   FileClose(h);
   return true;
  }

// Appends with one write and a flush (the journal and the id files are append-only).
bool AppendText(const string name, const string text)
  {
   uchar bytes[];
   Utf8(text, bytes);
   int h = FileOpen(PathOf(name), FILE_READ | FILE_WRITE | FILE_BIN | FILE_SHARE_READ);
   if(h == INVALID_HANDLE)
     {
      PrintFormat("BITTEN: cannot open %s (error %d)", PathOf(name), GetLastError());
      return false;
     }
   FileSeek(h, 0, SEEK_END);
   uint written = FileWriteArray(h, bytes, 0, ArraySize(bytes));
   FileFlush(h);
   FileClose(h);
   return written == (uint)ArraySize(bytes);
  }

// Writes name.tmp then renames it over name (readers never see half a file).
bool WriteAtomically(const string name, const string text)
  {
   uchar bytes[];
   Utf8(text, bytes);
   int h = FileOpen(PathOf(name + ".tmp"), FILE_WRITE | FILE_BIN);
   if(h == INVALID_HANDLE)
      return false;
   FileWriteArray(h, bytes, 0, ArraySize(bytes));
   FileFlush(h);
   FileClose(h);
   return FileMove(PathOf(name + ".tmp"), 0, PathOf(name), FILE_REWRITE);
  }

// The LF-terminated lines of a file; a last line without LF is returned in `torn`.
int ReadLines(const string name, string &lines[], string &torn)
  {
   ArrayResize(lines, 0);
   torn = "";
   uchar bytes[];
   if(!ReadBytes(name, bytes) || ArraySize(bytes) == 0)
      return 0;
   string text = CharArrayToString(bytes, 0, ArraySize(bytes), CP_UTF8);
   int count = 0, pos = 0, len = StringLen(text);
   while(pos < len)
     {
      int nl = StringFind(text, "\n", pos);
      if(nl < 0)
        {
         torn = StringSubstr(text, pos);
         break;
        }
      ArrayResize(lines, count + 1);
      lines[count++] = StringSubstr(text, pos, nl - pos);
      pos = nl + 1;
     }
   return count;
  }

//+------------------------------------------------------------------+
//| Small sets (linear; a terminal executes a few fires a day).       |
//+------------------------------------------------------------------+
bool HasString(const string &set[], const string v)
  {
   for(int i = ArraySize(set) - 1; i >= 0; i--)
      if(set[i] == v)
         return true;
   return false;
  }

void AddString(string &set[], const string v)
  {
   int n = ArraySize(set);
   ArrayResize(set, n + 1);
   set[n] = v;
  }

bool HasLong(const long &set[], const long v)
  {
   for(int i = ArraySize(set) - 1; i >= 0; i--)
      if(set[i] == v)
         return true;
   return false;
  }

void AddLong(long &set[], const long v)
  {
   int n = ArraySize(set);
   ArrayResize(set, n + 1);
   set[n] = v;
  }

int FindPosition(const long position_id)
  {
   for(int i = ArraySize(g_pos_ids) - 1; i >= 0; i--)
      if(g_pos_ids[i] == position_id)
         return i;
   return -1;
  }

int FindPositionByFire(const string fire_id)
  {
   for(int i = ArraySize(g_pos_fire) - 1; i >= 0; i--)
      if(g_pos_fire[i] == fire_id)
         return i;
   return -1;
  }

//+------------------------------------------------------------------+
//| JSON writing                                                      |
//+------------------------------------------------------------------+
string JsonString(const string s)
  {
   string out = "\"";
   for(int i = 0; i < StringLen(s); i++)
     {
      ushort c = StringGetCharacter(s, i);
      if(c == '"') out += "\\\"";
      else if(c == '\\') out += "\\\\";
      else if(c == '\n') out += "\\n";
      else if(c == '\r') out += "\\r";
      else if(c == '\t') out += "\\t";
      else if(c < 0x20) out += StringFormat("\\u%04x", (int)c);
      else out += ShortToString(c);
     }
   return out + "\"";
  }

string Num(const double v, const int digits) { return DoubleToString(v, digits); }

// Appends ,"sig":"<hex>"} to an object text without its closing brace (CONTRACTS §3.2).
string Signed(const string open_object)
  {
   return open_object + ",\"sig\":\"" + HmacHexText(g_key, open_object) + "\"}";
  }

//+------------------------------------------------------------------+
//| HTTP (CONTRACTS §3.4): signed POSTs; reports retried with backoff |
//+------------------------------------------------------------------+
// Sends one POST now; true on a 2xx answer. WebRequest needs InpServerUrl in the terminal's list
// of allowed URLs (docs/ea.md); it answers -1 otherwise.
bool PostNow(const string path, const string body)
  {
   if(InpServerUrl == "" || MQLInfoInteger(MQL_TESTER))
      return true;
   long ts = NowMs();
   uchar data[];
   Utf8(body, data);
   string signed_text = IntegerToString(ts) + "\nPOST\n" + path + "\n" + body;
   string headers = "Content-Type: application/json\r\n" +
                    "X-Bitten-Terminal: " + InpTerminalId + "\r\n" +
                    "X-Bitten-Timestamp: " + IntegerToString(ts) + "\r\n" +
                    "X-Bitten-Signature: " + HmacHexText(g_key, signed_text) + "\r\n";
   char post[], answer[];
   ArrayResize(post, ArraySize(data));
   for(int i = 0; i < ArraySize(data); i++)
      post[i] = (char)data[i];
   string answer_headers;
   ResetLastError();
   int status = WebRequest("POST", InpServerUrl + path, headers, HTTP_TIMEOUT_MS, post, answer,
                           answer_headers);
   if(status < 200 || status >= 300)
     {
      PrintFormat("BITTEN: POST %s answered %d (error %d)", path, status, GetLastError());
      return false;
     }
   return true;
  }

void QueueReport(const string body)
  {
   if(InpServerUrl == "")
      return;
   int n = ArraySize(g_post_body);
   if(n >= MAX_PENDING_POSTS)
     {
      Print("BITTEN: report retry queue full; dropping the oldest (it stays in trade_result.txt)");
      ArrayRemove(g_post_body, 0, 1);
      ArrayRemove(g_post_path, 0, 1);
      n--;
     }
   ArrayResize(g_post_body, n + 1);
   ArrayResize(g_post_path, n + 1);
   g_post_body[n] = body;
   g_post_path[n] = "/api/report";
  }

// At most one attempt per timer tick, oldest first; a failure doubles the wait (1 s .. 60 s).
void ServicePosts()
  {
   if(ArraySize(g_post_body) == 0 || NowMs() < g_post_next_ms)
      return;
   if(PostNow(g_post_path[0], g_post_body[0]))
     {
      ArrayRemove(g_post_body, 0, 1);
      ArrayRemove(g_post_path, 0, 1);
      g_post_backoff_ms = 1000;
      g_post_next_ms = 0;
     }
   else
     {
      g_post_next_ms = NowMs() + g_post_backoff_ms;
      g_post_backoff_ms = (int)MathMin(g_post_backoff_ms * 2, MAX_BACKOFF_MS);
     }
  }

//+------------------------------------------------------------------+
//| Result records (CONTRACTS §3.2)                                    |
//+------------------------------------------------------------------+
string RecordHead(const string type, const string fire_id)
  {
   return "{\"v\":1,\"seq\":" + IntegerToString(g_next_seq) + ",\"type\":\"" + type +
          "\",\"terminal\":" + JsonString(InpTerminalId) + ",\"fire_id\":" + JsonString(fire_id);
  }

// Appends the signed line to the journal (the truth), then queues it for POST /api/report.
void Emit(const string open_object)
  {
   string line = Signed(open_object);
   if(!AppendText("trade_result.txt", line + "\n"))
     {
      // Without the journal nothing downstream can be trusted: stop loudly.
      Alert("BITTEN: cannot append to trade_result.txt; the EA stops");
      ExpertRemove();
      return;
     }
   g_next_seq++;
   QueueReport(line);
  }

void EmitSimple(const string type, const string fire_id, const string mission_id,
                const string reason)
  {
   string o = RecordHead(type, fire_id);
   if(mission_id != "")
      o += ",\"mission_id\":" + JsonString(mission_id);
   o += ",\"reason\":" + JsonString(reason) + ",\"time\":" + IntegerToString(NowMs());
   Emit(o);
  }

void EmitReject(const string fire_id, const string mission_id, const uint retcode,
                const string reason)
  {
   string o = RecordHead("reject", fire_id);
   if(mission_id != "")
      o += ",\"mission_id\":" + JsonString(mission_id);
   o += ",\"retcode\":" + IntegerToString(retcode) + ",\"reason\":" + JsonString(reason) +
        ",\"time\":" + IntegerToString(NowMs());
   Emit(o);
  }

//+------------------------------------------------------------------+
//| Symbols                                                           |
//+------------------------------------------------------------------+
string BrokerSymbol(const string name)
  {
   if(InpSymbolMap != "")
     {
      string pairs[];
      int n = StringSplit(InpSymbolMap, ',', pairs);
      for(int i = 0; i < n; i++)
        {
         string kv[];
         if(StringSplit(pairs[i], '=', kv) == 2)
           {
            StringTrimLeft(kv[0]);
            StringTrimRight(kv[0]);
            StringTrimLeft(kv[1]);
            StringTrimRight(kv[1]);
            if(kv[0] == name)
               return kv[1];
           }
        }
     }
   return name + InpSymbolSuffix;
  }

// The order filling policy the symbol allows: FOK (all or nothing) first, then IOC, else RETURN.
ENUM_ORDER_TYPE_FILLING FillingFor(const string broker)
  {
   long modes = SymbolInfoInteger(broker, SYMBOL_FILLING_MODE);
   if((modes & SYMBOL_FILLING_FOK) == SYMBOL_FILLING_FOK)
      return ORDER_FILLING_FOK;
   if((modes & SYMBOL_FILLING_IOC) == SYMBOL_FILLING_IOC)
      return ORDER_FILLING_IOC;
   return ORDER_FILLING_RETURN;
  }

string FillingName(const string broker)
  {
   ENUM_ORDER_TYPE_FILLING f = FillingFor(broker);
   return f == ORDER_FILLING_FOK ? "FOK" : (f == ORDER_FILLING_IOC ? "IOC" : "RETURN");
  }

int VolumeDigits(const double step)
  {
   int d = 0;
   double s = step;
   while(d < 8 && MathAbs(s - MathRound(s)) > 1e-9)
     {
      s *= 10;
      d++;
     }
   return d;
  }

//+------------------------------------------------------------------+
//| fire.txt (CONTRACTS §3.1)                                          |
//+------------------------------------------------------------------+
string ValueOf(const string &keys[], const string &values[], const string key)
  {
   for(int i = 0; i < ArraySize(keys); i++)
      if(keys[i] == key)
         return values[i];
   return "";
  }

bool HasKey(const string &keys[], const string key)
  {
   for(int i = 0; i < ArraySize(keys); i++)
      if(keys[i] == key)
         return true;
   return false;
  }

bool SafeId(const string id)
  {
   int n = StringLen(id);
   if(n == 0 || n > 64)
      return false;
   for(int i = 0; i < n; i++)
     {
      ushort c = StringGetCharacter(id, i);
      if(!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
         return false;
     }
   return true;
  }

// Splits and verifies a claimed command. Returns "" when it is good, else the refusal reason (the
// EA reports every refusal here as a bad_signature record, as the paper bridge does).
string ParseCommand(const uchar &bytes[], string &keys[], string &values[], string &peek_fire)
  {
   ArrayResize(keys, 0);
   ArrayResize(values, 0);
   peek_fire = "";
   string text = CharArrayToString(bytes, 0, ArraySize(bytes), CP_UTF8);
   if(StringFind(text, "BITTEN-FIRE 1\n") != 0)
      return "first line is not BITTEN-FIRE 1";
   // Signed bytes: everything before the first line that starts with "sig=".
   int sig_at = -1, pos = 0, len = ArraySize(bytes);
   while(pos < len)
     {
      if(pos + 4 <= len && bytes[pos] == 's' && bytes[pos + 1] == 'i' && bytes[pos + 2] == 'g' &&
         bytes[pos + 3] == '=')
        {
         sig_at = pos;
         break;
        }
      while(pos < len && bytes[pos] != '\n')
         pos++;
      pos++;
     }
   // The fire_id, unverified, only to name the record of a refusal.
   int fp = StringFind(text, "\nfire_id=");
   if(fp >= 0)
     {
      int fe = StringFind(text, "\n", fp + 1);
      peek_fire = StringSubstr(text, fp + 9, fe < 0 ? -1 : fe - fp - 9);
      if(!SafeId(peek_fire))
         peek_fire = "";
     }
   if(sig_at < 0)
      return "no sig line";
   uchar signed_bytes[];
   ArrayCopy(signed_bytes, bytes, 0, 0, sig_at);
   string sig_line = CharArrayToString(bytes, sig_at + 4, len - sig_at - 4, CP_UTF8);
   if(StringLen(sig_line) > 0 && StringGetCharacter(sig_line, StringLen(sig_line) - 1) == '\n')
      sig_line = StringSubstr(sig_line, 0, StringLen(sig_line) - 1);
   if(StringLen(sig_line) != 64 || !SameHex(HmacHex(g_key, signed_bytes), sig_line))
      return "bad signature";
   // key=value lines after the header, before sig.
   string signed_text = CharArrayToString(signed_bytes, 0, sig_at, CP_UTF8);
   string lines[];
   int n = StringSplit(signed_text, '\n', lines);
   for(int i = 1; i < n; i++)
     {
      if(lines[i] == "")
         continue;
      int eq = StringFind(lines[i], "=");
      if(eq <= 0)
         return "line " + IntegerToString(i + 1) + " is not key=value";
      string k = StringSubstr(lines[i], 0, eq);
      if(HasKey(keys, k))
         return "duplicate key " + k;
      AddString(keys, k);
      AddString(values, StringSubstr(lines[i], eq + 1));
     }
   if(!SafeId(ValueOf(keys, values, "fire_id")) || !SafeId(ValueOf(keys, values, "mission_id")))
      return "missing or malformed fire_id / mission_id";
   string action = ValueOf(keys, values, "action");
   if(action != "open" && action != "close")
      return "action is neither open nor close";
   if(!HasKey(keys, "expires_at"))
      return "missing expires_at";
   if(action == "open")
     {
      string side = ValueOf(keys, values, "side");
      if(ValueOf(keys, values, "symbol") == "" || (side != "BUY" && side != "SELL") ||
         StringToDouble(ValueOf(keys, values, "volume")) <= 0 || !HasKey(keys, "sl") ||
         !HasKey(keys, "tp"))
         return "open command without symbol, side, volume, sl or tp";
     }
   return "";
  }

void MarkExecuted(const string key)
  {
   // Durable before acting: a crash may lose an order but never repeat one.
   if(!AppendText("executed_ids.txt", key + "\n"))
     {
      Alert("BITTEN: cannot write executed_ids.txt; the EA stops");
      ExpertRemove();
      return;
     }
   AddString(g_executed, key);
  }

// Checks the stops against the side and the stops level. "" when they are valid.
string StopsProblem(const string broker, const bool buy, const double sl, const double tp,
                    const double bid, const double ask)
  {
   double point = SymbolInfoDouble(broker, SYMBOL_POINT);
   int digits = (int)SymbolInfoInteger(broker, SYMBOL_DIGITS);
   long level_points = SymbolInfoInteger(broker, SYMBOL_TRADE_STOPS_LEVEL);
   double level = (double)level_points * point;
   double ref = buy ? bid : ask;  // a position closes at the bid (BUY) or the ask (SELL)
   string at = " (" + (buy ? "bid " : "ask ") + Num(ref, digits) + ", stops level " +
               IntegerToString(level_points) + " points)";
   if(sl > 0)
     {
      if(buy && sl > ref - level - point / 2)
         return "invalid stops: BUY sl " + Num(sl, digits) + " is not below the price by the stops level" + at;
      if(!buy && sl < ref + level + point / 2)
         return "invalid stops: SELL sl " + Num(sl, digits) + " is not above the price by the stops level" + at;
     }
   if(tp > 0)
     {
      if(buy && tp < ref + level + point / 2)
         return "invalid stops: BUY tp " + Num(tp, digits) + " is not above the price by the stops level" + at;
      if(!buy && tp > ref - level - point / 2)
         return "invalid stops: SELL tp " + Num(tp, digits) + " is not below the price by the stops level" + at;
     }
   return "";
  }

void ExecuteOpen(const string fire_id, const string mission_id, const string &keys[],
                 const string &values[])
  {
   string name = ValueOf(keys, values, "symbol");
   string broker = BrokerSymbol(name);
   bool buy = ValueOf(keys, values, "side") == "BUY";
   if(!SymbolSelect(broker, true))
     {
      EmitReject(fire_id, mission_id, TRADE_RETCODE_INVALID, "unknown symbol " + broker);
      return;
     }
   long trade_mode = SymbolInfoInteger(broker, SYMBOL_TRADE_MODE);
   if(trade_mode == SYMBOL_TRADE_MODE_DISABLED || trade_mode == SYMBOL_TRADE_MODE_CLOSEONLY ||
      (buy && trade_mode == SYMBOL_TRADE_MODE_SHORTONLY) ||
      (!buy && trade_mode == SYMBOL_TRADE_MODE_LONGONLY))
     {
      EmitReject(fire_id, mission_id, TRADE_RETCODE_TRADE_DISABLED, "trading disabled for " + broker);
      return;
     }
   MqlTick tick;
   if(!SymbolInfoTick(broker, tick) || tick.bid <= 0 || tick.ask <= 0)
     {
      EmitReject(fire_id, mission_id, TRADE_RETCODE_PRICE_OFF, "no quotes for " + broker);
      return;
     }
   int digits = (int)SymbolInfoInteger(broker, SYMBOL_DIGITS);
   double sl = NormalizeDouble(StringToDouble(ValueOf(keys, values, "sl")), digits);
   double tp = NormalizeDouble(StringToDouble(ValueOf(keys, values, "tp")), digits);
   // Volume: down to the step, at most the maximum; below the minimum is refused.
   double step = SymbolInfoDouble(broker, SYMBOL_VOLUME_STEP);
   double vmin = SymbolInfoDouble(broker, SYMBOL_VOLUME_MIN);
   double vmax = SymbolInfoDouble(broker, SYMBOL_VOLUME_MAX);
   double asked = StringToDouble(ValueOf(keys, values, "volume"));
   double volume = step > 0 ? MathFloor(asked / step + 1e-9) * step : asked;
   volume = NormalizeDouble(MathMin(volume, vmax), VolumeDigits(step));
   if(volume < vmin - 1e-12)
     {
      EmitReject(fire_id, mission_id, TRADE_RETCODE_INVALID_VOLUME,
                 "invalid volume: " + ValueOf(keys, values, "volume") + " lots is below the minimum " +
                 DoubleToString(vmin, VolumeDigits(step)) + " after rounding to the step " +
                 DoubleToString(step, VolumeDigits(step)));
      return;
     }
   string stops = StopsProblem(broker, buy, sl, tp, tick.bid, tick.ask);
   if(stops != "")
     {
      EmitReject(fire_id, mission_id, TRADE_RETCODE_INVALID_STOPS, stops);
      return;
     }
   long slip = StringToInteger(ValueOf(keys, values, "max_slippage_points"));
   if(slip > InpMaxSlippagePoints)
      slip = InpMaxSlippagePoints;
   long magic = StringToInteger(ValueOf(keys, values, "magic"));
   g_trade.SetExpertMagicNumber((ulong)(magic != 0 ? magic : InpMagic));
   g_trade.SetDeviationInPoints((ulong)slip);
   g_trade.SetTypeFilling(FillingFor(broker));
   string comment = ValueOf(keys, values, "comment");
   double price = buy ? tick.ask : tick.bid;
   bool sent = g_trade.PositionOpen(broker, buy ? ORDER_TYPE_BUY : ORDER_TYPE_SELL, volume, price,
                                    sl, tp, comment);
   uint rc = g_trade.ResultRetcode();
   if(!sent || (rc != TRADE_RETCODE_DONE && rc != TRADE_RETCODE_DONE_PARTIAL))
     {
      string why = g_trade.ResultComment();
      if(why == "")
         why = "order refused, error " + IntegerToString(GetLastError());
      EmitReject(fire_id, mission_id, rc, why);
      return;
     }
   ulong deal = g_trade.ResultDeal();
   long position = (long)g_trade.ResultOrder();
   if(deal > 0 && HistoryDealSelect(deal))
      position = HistoryDealGetInteger(deal, DEAL_POSITION_ID);
   // Remember position -> fire before anything else, so that a close is always attributed.
   AppendText("positions.txt", IntegerToString(position) + " " + fire_id + " " + mission_id + "\n");
   AddLong(g_pos_ids, position);
   AddString(g_pos_fire, fire_id);
   AddString(g_pos_mission, mission_id);
   string o = RecordHead("fill", fire_id) + ",\"mission_id\":" + JsonString(mission_id) +
              ",\"retcode\":" + IntegerToString(rc) + ",\"order\":" + IntegerToString((long)g_trade.ResultOrder()) +
              ",\"deal\":" + IntegerToString((long)deal) + ",\"position\":" + IntegerToString(position) +
              ",\"symbol\":" + JsonString(name) + ",\"side\":\"" + (buy ? "BUY" : "SELL") +
              "\",\"volume\":" + DoubleToString(g_trade.ResultVolume(), VolumeDigits(step)) +
              ",\"price\":" + Num(g_trade.ResultPrice(), digits) + ",\"sl\":" + Num(sl, digits) +
              ",\"tp\":" + Num(tp, digits) + ",\"time\":" + IntegerToString(NowMs());
   Emit(o);
  }

void ExecuteClose(const string fire_id, const string mission_id)
  {
   int i = FindPositionByFire(fire_id);
   if(i < 0 || !PositionSelectByTicket((ulong)g_pos_ids[i]))
     {
      EmitReject(fire_id, mission_id, TRADE_RETCODE_POSITION_CLOSED, "no open position for this fire");
      return;
     }
   if(!g_trade.PositionClose((ulong)g_pos_ids[i], (ulong)InpMaxSlippagePoints) ||
      (g_trade.ResultRetcode() != TRADE_RETCODE_DONE &&
       g_trade.ResultRetcode() != TRADE_RETCODE_DONE_PARTIAL))
     {
      EmitReject(fire_id, mission_id, g_trade.ResultRetcode(), g_trade.ResultComment());
      return;
     }
   // The close record comes from OnTradeTransaction (reason "expert"), like every other close.
  }

// Claims and handles fire.txt if it is there. True when a command was handled.
bool HandleFireFile()
  {
   if(!FileIsExist(PathOf("fire.txt")))
      return false;
   uchar bytes[];
   if(!ReadBytes("fire.txt", bytes))
      return false;
   string keys[], values[], peek;
   ParseCommand(bytes, keys, values, peek);
   string claimed = "fire." + (peek != "" ? peek : "unreadable-" + IntegerToString(NowMs())) + ".claimed";
   // Claim first: without FILE_REWRITE the rename fails if the name is taken; the server sees
   // fire.txt disappear and counts the command as delivered.
   if(!FileMove(PathOf("fire.txt"), 0, PathOf(claimed), 0))
     {
      claimed = "fire." + IntegerToString(NowMs()) + ".claimed";
      if(!FileMove(PathOf("fire.txt"), 0, PathOf(claimed), 0))
         return false;
     }
   if(!ReadBytes(claimed, bytes))   // act on what was claimed, not on what was peeked
      return true;
   string problem = ParseCommand(bytes, keys, values, peek);
   if(problem != "")
     {
      EmitSimple("bad_signature", peek, "", problem);
      return true;
     }
   string fire_id = ValueOf(keys, values, "fire_id");
   string mission_id = ValueOf(keys, values, "mission_id");
   long expires_at = StringToInteger(ValueOf(keys, values, "expires_at"));
   long now = NowMs();
   if(expires_at < now)
     {
      EmitSimple("expired", fire_id, mission_id,
                 "expired at " + IntegerToString(expires_at) + " ms, seen at " + IntegerToString(now) + " ms");
      return true;
     }
   bool is_open = ValueOf(keys, values, "action") == "open";
   string key = is_open ? fire_id : "close:" + fire_id;
   if(HasString(g_executed, key))
     {
      EmitSimple("duplicate", fire_id, mission_id, "fire already executed");
      return true;
     }
   MarkExecuted(key);
   if(is_open)
      ExecuteOpen(fire_id, mission_id, keys, values);
   else
      ExecuteClose(fire_id, mission_id);
   return true;
  }

void DeleteOldClaims()
  {
   string name;
   long handle = FileFindFirst(PathOf("fire.*.claimed"), name);
   if(handle == INVALID_HANDLE)
      return;
   do
     {
      datetime modified = (datetime)FileGetInteger(PathOf(name), FILE_MODIFY_DATE);
      if(modified > 0 && TimeLocal() - modified > CLAIM_MAX_AGE_S)
         FileDelete(PathOf(name));
     }
   while(FileFindNext(handle, name));
   FileFindClose(handle);
  }

//+------------------------------------------------------------------+
//| Closes (OnTradeTransaction and the catch-up at start)             |
//+------------------------------------------------------------------+
string CloseReason(const long reason)
  {
   if(reason == DEAL_REASON_TP) return "tp";
   if(reason == DEAL_REASON_SL) return "sl";
   if(reason == DEAL_REASON_SO) return "so";
   if(reason == DEAL_REASON_EXPERT) return "expert";
   return "manual";   // client, mobile, web and anything else a person did
  }

// Writes the close record of a closing deal of one of our positions, once per deal.
void ReportClosingDeal(const ulong deal)
  {
   if(!HistoryDealSelect(deal))
      return;
   long entry = HistoryDealGetInteger(deal, DEAL_ENTRY);
   if(entry != DEAL_ENTRY_OUT && entry != DEAL_ENTRY_OUT_BY && entry != DEAL_ENTRY_INOUT)
      return;
   long position = HistoryDealGetInteger(deal, DEAL_POSITION_ID);
   int i = FindPosition(position);
   if(i < 0 || HasLong(g_reported_deals, (long)deal))
      return;
   string broker = HistoryDealGetString(deal, DEAL_SYMBOL);
   int digits = (int)SymbolInfoInteger(broker, SYMBOL_DIGITS);
   double step = SymbolInfoDouble(broker, SYMBOL_VOLUME_STEP);
   // The deal is recorded as reported first: a crash loses at most this record, never doubles it.
   AppendText("closed_deals.txt", IntegerToString((long)deal) + "\n");
   AddLong(g_reported_deals, (long)deal);
   string o = RecordHead("close", g_pos_fire[i]) + ",\"position\":" + IntegerToString(position) +
              ",\"price\":" + Num(HistoryDealGetDouble(deal, DEAL_PRICE), digits) +
              ",\"volume\":" + DoubleToString(HistoryDealGetDouble(deal, DEAL_VOLUME), VolumeDigits(step)) +
              ",\"profit\":" + Num(HistoryDealGetDouble(deal, DEAL_PROFIT), 2) +
              ",\"swap\":" + Num(HistoryDealGetDouble(deal, DEAL_SWAP), 2) +
              ",\"commission\":" + Num(HistoryDealGetDouble(deal, DEAL_COMMISSION), 2) +
              ",\"reason\":\"" + CloseReason(HistoryDealGetInteger(deal, DEAL_REASON)) +
              "\",\"time\":" + IntegerToString(NowMs());
   Emit(o);
  }

void OnTradeTransaction(const MqlTradeTransaction &trans, const MqlTradeRequest &request,
                        const MqlTradeResult &result)
  {
   if(trans.type == TRADE_TRANSACTION_DEAL_ADD && trans.deal > 0)
      ReportClosingDeal(trans.deal);
  }

// Closes that happened while the EA was not running (terminal off, EA removed): the history of
// every position we opened is scanned once at start; deals already reported are skipped.
void CatchUpCloses()
  {
   for(int i = 0; i < ArraySize(g_pos_ids); i++)
     {
      if(!HistorySelectByPosition(g_pos_ids[i]))
         continue;
      for(int k = 0; k < HistoryDealsTotal(); k++)
        {
         ulong deal = HistoryDealGetTicket(k);
         if(deal > 0)
            ReportClosingDeal(deal);
        }
     }
  }

//+------------------------------------------------------------------+
//| Heartbeat (CONTRACTS §3.3) and ticks (§3.4)                        |
//+------------------------------------------------------------------+
string SymbolSpecs()
  {
   string out = "[";
   int written = 0;
   for(int i = 0; i < ArraySize(g_symbols); i++)
     {
      string broker = BrokerSymbol(g_symbols[i]);
      if(!SymbolSelect(broker, true))
         continue;
      int digits = (int)SymbolInfoInteger(broker, SYMBOL_DIGITS);
      double step = SymbolInfoDouble(broker, SYMBOL_VOLUME_STEP);
      int vd = VolumeDigits(step);
      if(written++ > 0)
         out += ",";
      out += "{\"name\":" + JsonString(g_symbols[i]) + ",\"broker_name\":" + JsonString(broker) +
             ",\"digits\":" + IntegerToString(digits) +
             ",\"point\":" + Num(SymbolInfoDouble(broker, SYMBOL_POINT), digits) +
             ",\"contract_size\":" + Num(SymbolInfoDouble(broker, SYMBOL_TRADE_CONTRACT_SIZE), 2) +
             ",\"volume_min\":" + Num(SymbolInfoDouble(broker, SYMBOL_VOLUME_MIN), vd) +
             ",\"volume_max\":" + Num(SymbolInfoDouble(broker, SYMBOL_VOLUME_MAX), vd) +
             ",\"volume_step\":" + Num(step, vd) +
             ",\"tick_value\":" + Num(SymbolInfoDouble(broker, SYMBOL_TRADE_TICK_VALUE), 8) +
             ",\"tick_size\":" + Num(SymbolInfoDouble(broker, SYMBOL_TRADE_TICK_SIZE), digits) +
             ",\"stops_level\":" + IntegerToString(SymbolInfoInteger(broker, SYMBOL_TRADE_STOPS_LEVEL)) +
             ",\"filling\":\"" + FillingName(broker) + "\"}";
     }
   return out + "]";
  }

void Heartbeat()
  {
   g_last_heartbeat = NowMs();
   string o = "{\"v\":1,\"terminal\":" + JsonString(InpTerminalId) + ",\"time\":" + IntegerToString(g_last_heartbeat) +
              ",\"login\":" + IntegerToString(AccountInfoInteger(ACCOUNT_LOGIN)) +
              ",\"server\":" + JsonString(AccountInfoString(ACCOUNT_SERVER)) +
              ",\"currency\":" + JsonString(AccountInfoString(ACCOUNT_CURRENCY)) +
              ",\"balance\":" + Num(AccountInfoDouble(ACCOUNT_BALANCE), 2) +
              ",\"equity\":" + Num(AccountInfoDouble(ACCOUNT_EQUITY), 2) +
              ",\"margin_free\":" + Num(AccountInfoDouble(ACCOUNT_MARGIN_FREE), 2) +
              ",\"leverage\":" + IntegerToString(AccountInfoInteger(ACCOUNT_LEVERAGE)) +
              ",\"connected\":" + (TerminalInfoInteger(TERMINAL_CONNECTED) ? "true" : "false") +
              ",\"trade_allowed\":" + (TerminalInfoInteger(TERMINAL_TRADE_ALLOWED) &&
                                      MQLInfoInteger(MQL_TRADE_ALLOWED) ? "true" : "false") +
              ",\"positions\":" + IntegerToString(PositionsTotal()) +
              ",\"ea_version\":\"" + EA_VERSION + "\"";
   if(g_beats % 10 == 0)   // specs every tenth beat (the first included)
      o += ",\"symbols\":" + SymbolSpecs();
   g_beats++;
   string text = Signed(o);
   if(!WriteAtomically("heartbeat.txt", text + "\n"))
      PrintFormat("BITTEN: cannot write heartbeat.txt (error %d)", GetLastError());
   PostNow("/api/heartbeat", text);   // not retried: a stale heartbeat is worthless
  }

void CollectTicks()
  {
   long offset_ms = ((long)TimeTradeServer() - (long)TimeGMT()) * 1000;  // server time -> UTC
   for(int i = 0; i < ArraySize(g_symbols) && g_tick_count < MAX_TICKS; i++)
     {
      string broker = BrokerSymbol(g_symbols[i]);
      MqlTick t;
      if(!SymbolInfoTick(broker, t) || t.time_msc == g_last_tick_msc[i] || t.bid <= 0 || t.ask < t.bid)
         continue;
      g_last_tick_msc[i] = t.time_msc;
      int digits = (int)SymbolInfoInteger(broker, SYMBOL_DIGITS);
      if(g_tick_count > 0)
         g_ticks += ",";
      g_ticks += "{\"s\":" + JsonString(g_symbols[i]) + ",\"t\":" + IntegerToString(t.time_msc - offset_ms) +
                 ",\"b\":" + Num(t.bid, digits) + ",\"a\":" + Num(t.ask, digits) + "}";
      g_tick_count++;
     }
  }

void FlushTicks()
  {
   g_last_ticks = NowMs();
   if(g_tick_count == 0 || InpServerUrl == "")
     {
      g_ticks = "";
      g_tick_count = 0;
      return;
     }
   string body = "{\"terminal\":" + JsonString(InpTerminalId) + ",\"ticks\":[" + g_ticks + "]}";
   g_ticks = "";
   g_tick_count = 0;
   PostNow("/api/ticks", body);   // not retried: the next batch carries newer prices
  }

//+------------------------------------------------------------------+
//| Self-test against tests/data/bridge (docs/ea.md)                  |
//+------------------------------------------------------------------+
int g_selftest_failures = 0;

void Check(const string what, const string got, const string want)
  {
   bool ok = got == want;
   if(!ok)
      g_selftest_failures++;
   PrintFormat("BITTEN self-test %s: %s", what, ok ? "PASS" : "FAIL (got " + got + ", want " + want + ")");
  }

// The vectors of tests/data/bridge, embedded; when MQL5/Files/<InpFolder>/vectors/ holds copies
// of fire.txt and trade_result.txt they are checked too.
bool SelfTest()
  {
   uchar key[];
   FromHex("6b1f0c8e4a2d9b7310fe55aa0c3d2e1f8a9b7c6d5e4f30211203f4e5d6c7b8a9", key);
   g_selftest_failures = 0;
   uchar abc[];
   Utf8("abc", abc);
   uchar digest[];
   Sha256(abc, digest);
   Check("SHA-256(\"abc\")", Hex(digest),
               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
   string fire = "BITTEN-FIRE 1\nfire_id=0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d\n"
                 "mission_id=0190f3b2-6c1d-7000-8000-00000000abcd\naction=open\nsymbol=EURUSD\n"
                 "side=BUY\nvolume=0.12\nsl=1.08250\ntp=1.08750\nmax_slippage_points=20\n"
                 "expires_at=1722290000000\nmagic=20250729\ncomment=BITTEN 0190f3b2\n";
   Check("fire.txt sig", HmacHexText(key, fire),
               "cb3f331eb046a2ba9943115b4298a46357a5563b77a49cd9cf94ca76f61b8358");
   string fill = "{\"v\":1,\"seq\":17,\"type\":\"fill\",\"terminal\":\"t1\",\"fire_id\":\"0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d\","
                 "\"mission_id\":\"0190f3b2-6c1d-7000-8000-00000000abcd\",\"retcode\":10009,\"order\":512331,"
                 "\"deal\":498812,\"position\":512331,\"symbol\":\"EURUSD\",\"side\":\"BUY\",\"volume\":0.12,"
                 "\"price\":1.08501,\"sl\":1.0825,\"tp\":1.0875,\"time\":1722289995123";
   Check("fill line sig", HmacHexText(key, fill),
               "8f67ec88aba322d8f2503527882205587d12acba26f4310483ebd5962b5ba1b9");
   string request = "1722289995500\nPOST\n/api/report\n" + fill +
                    ",\"sig\":\"8f67ec88aba322d8f2503527882205587d12acba26f4310483ebd5962b5ba1b9\"}";
   Check("HTTP request sig", HmacHexText(key, request),
               "47fb5f8996f6bfe1d8e56c10aebb6269f46ff6a26903967d8ed726451f6a2241");
   // The parser on the vector file, with the vector secret.
   uchar saved[];
   ArrayCopy(saved, g_key);
   ArrayCopy(g_key, key);
   ArrayResize(g_key, ArraySize(key));
   uchar bytes[];
   if(ReadBytes("vectors\\fire.txt", bytes))
     {
      string keys[], values[], peek;
      Check("vectors/fire.txt parses and verifies", ParseCommand(bytes, keys, values, peek), "");
      bytes[20] = (uchar)(bytes[20] ^ 1);   // one flipped bit must be refused
      Check("vectors/fire.txt with a flipped bit", ParseCommand(bytes, keys, values, peek), "bad signature");
     }
   string lines[], torn;
   int n = ReadLines("vectors\\trade_result.txt", lines, torn);
   for(int i = 0; i < n; i++)
     {
      int at = StringFind(lines[i], ",\"sig\":\"");
      if(at > 0)
         Check("vectors/trade_result.txt line " + IntegerToString(i + 1),
               HmacHexText(key, StringSubstr(lines[i], 0, at)), StringSubstr(lines[i], at + 8, 64));
     }
   ArrayFree(g_key);
   ArrayCopy(g_key, saved);
   PrintFormat("BITTEN self-test: %s", g_selftest_failures == 0 ? "ALL PASS" : IntegerToString(g_selftest_failures) + " FAILED");
   return g_selftest_failures == 0;
  }

//+------------------------------------------------------------------+
//| Start, timer, stop                                                |
//+------------------------------------------------------------------+
bool ValidTerminalId(const string id)
  {
   int n = StringLen(id);
   if(n == 0 || n > 32)
      return false;
   for(int i = 0; i < n; i++)
     {
      ushort c = StringGetCharacter(id, i);
      if(!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0)))
         return false;
     }
   return true;
  }

long SeqOf(const string line)
  {
   int at = StringFind(line, "\"seq\":");
   if(at < 0)
      return -1;
   return StringToInteger(StringSubstr(line, at + 6, 20));
  }

int OnInit()
  {
   if(InpSelfTest)
     {
      SelfTest();          // prints PASS / FAIL per check in the Experts log
      return INIT_FAILED;  // a self-test run never trades
     }
   if(!ValidTerminalId(InpTerminalId))
     {
      Alert("BITTEN: InpTerminalId must match [a-z0-9][a-z0-9-]{0,31}");
      return INIT_PARAMETERS_INCORRECT;
     }
   if(StringLen(InpSecretHex) != 64 || !FromHex(InpSecretHex, g_key))
     {
      Alert("BITTEN: InpSecretHex must be the terminal's 64 hex digit secret");
      return INIT_PARAMETERS_INCORRECT;
     }
   if(InpTimerMs < 10)
     {
      Alert("BITTEN: InpTimerMs must be at least 10");
      return INIT_PARAMETERS_INCORRECT;
     }
   FolderCreate(InpFolder);
   // The sequence continues from the last complete journal line. A torn last line (a crash in
   // the middle of a write) is ended with an LF: the server reports it as malformed and skips it.
   string lines[], torn;
   int n = ReadLines("trade_result.txt", lines, torn);
   if(torn != "")
     {
      PrintFormat("BITTEN: trade_result.txt ends with a torn line of %d characters; closing it", StringLen(torn));
      AppendText("trade_result.txt", "\n");
     }
   for(int i = n - 1; i >= 0; i--)
     {
      long seq = SeqOf(lines[i]);
      if(seq >= 0)
        {
         g_next_seq = seq + 1;
         break;
        }
     }
   n = ReadLines("executed_ids.txt", lines, torn);
   for(int i = 0; i < n; i++)
      if(lines[i] != "")
         AddString(g_executed, lines[i]);
   n = ReadLines("positions.txt", lines, torn);
   for(int i = 0; i < n; i++)
     {
      string parts[];
      if(StringSplit(lines[i], ' ', parts) == 3)
        {
         AddLong(g_pos_ids, StringToInteger(parts[0]));
         AddString(g_pos_fire, parts[1]);
         AddString(g_pos_mission, parts[2]);
        }
     }
   n = ReadLines("closed_deals.txt", lines, torn);
   for(int i = 0; i < n; i++)
      if(lines[i] != "")
         AddLong(g_reported_deals, StringToInteger(lines[i]));
   StringSplit(InpSymbols, ',', g_symbols);
   ArrayResize(g_last_tick_msc, ArraySize(g_symbols));
   ArrayInitialize(g_last_tick_msc, 0);
   g_trade.SetMarginMode();
   CatchUpCloses();
   DeleteOldClaims();
   g_last_cleanup = NowMs();
   Heartbeat();
   if(!EventSetMillisecondTimer(InpTimerMs))
     {
      Alert("BITTEN: cannot start the timer");
      return INIT_FAILED;
     }
   PrintFormat("BITTEN: terminal %s ready in MQL5/Files/%s, next seq %s, %d executed fires",
               InpTerminalId, InpFolder, IntegerToString(g_next_seq), ArraySize(g_executed));
   return INIT_SUCCEEDED;
  }

void OnTimer()
  {
   // Commands first: nothing below may delay an order.
   for(int i = 0; i < 16 && HandleFireFile(); i++)
     {
     }
   long now = NowMs();
   CollectTicks();
   if(now - g_last_ticks >= TICK_BATCH_MS)
      FlushTicks();
   if(now - g_last_heartbeat >= HEARTBEAT_MS)
      Heartbeat();
   ServicePosts();
   if(now - g_last_cleanup >= 3600 * 1000)
     {
      g_last_cleanup = now;
      DeleteOldClaims();
     }
  }

void OnDeinit(const int reason)
  {
   EventKillTimer();
  }
//+------------------------------------------------------------------+
