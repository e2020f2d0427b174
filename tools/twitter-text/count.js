// Reads a JSON list of texts on stdin; prints the weighted length twitter-text v3 gives each.
"use strict";
const twitter = require("twitter-text");
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const texts = JSON.parse(input);
  const counts = texts.map((text) => twitter.parseTweet(text).weightedLength);
  process.stdout.write(JSON.stringify(counts) + "\n");
});
