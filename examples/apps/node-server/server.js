// A dependency-free Node.js server for the local target's examples and tests. It reads PORT, greets with GREETING and
// reports whether API_TOKEN reached it (its length only, never its value).
"use strict";
const http = require("node:http");

const port = Number(process.env.PORT || 3000);
const server = http.createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok\n");
    return;
  }
  const token = process.env.API_TOKEN || "";
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
  res.end(`${process.env.GREETING || "hello"}\napi_token_set=${token !== ""}\napi_token_length=${token.length}\n`);
});
server.listen(port, process.env.HOST || "127.0.0.1", () => console.log(`listening on ${port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
