// smabot families' chat: asks /chat/ask, shows replies, takes feedback (bot/app/page.py).
// The conversation is kept in this tab's sessionStorage only, so opening a source and
// coming back shows the same conversation; nothing is kept after the tab is closed.
// "Copy" and "Print or save" work here alone: they send nothing to the server.
"use strict";

const KEY = "smabot-conversation";
const HISTORY_TURNS = 4; // earlier messages sent along for follow-ups
const SLOW_MS = 4000; // then the status says the connection is slow
const GIVE_UP_MS = 60000;
const KEPT = "your question is kept, press Send to try again.";
const $ = (id) => document.getElementById(id);
let turns = load(); // [{question, at, html, copy, kind, suggestions, vote, row, token, commented}]
let busy = false;

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "[]");
  } catch {
    return [];
  }
}

function save() {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(turns));
  } catch {
    /* private mode or full: the conversation still works, it just isn't kept */
  }
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k === "onclick") node.addEventListener("click", v);
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

class Problem extends Error {}

// What went wrong, said as what to do next.
function problemFor(status, serverSays) {
  if (status === 429) return "Too many questions in a minute: your question is kept, wait a moment and press Send again.";
  if (status === 503) return `The service is busy: ${KEPT}`;
  if (status >= 500) return `Something went wrong on our side: ${KEPT}`;
  return `${serverSays || `The server answered ${status}.`} Your question is kept.`;
}

async function post(url, body, signal) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (err.name === "AbortError") throw new Problem(`No reply after a minute: ${KEPT}`);
    throw new Problem(`No connection: ${KEPT}`);
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Problem(problemFor(response.status, data.error));
  return data;
}

// The status beside the box: working and problems shown, "received" only announced.
function say(text, how = "shown") {
  const status = $("status");
  status.textContent = text;
  status.classList.toggle("problem", how === "problem");
  status.classList.toggle("sr-only", how === "announced");
}

function focusQuestion() {
  $("question").focus({ preventScroll: true });
}

function when(iso) {
  const date = iso ? new Date(iso) : new Date();
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

// ---- rendering -------------------------------------------------------------------

function renderTurn(turn, i) {
  const asked = el("li", { class: "message you", id: `asked-${i}` },
    el("p", {}, el("span", { class: "who" }, "You asked",
      el("span", { class: "when", text: ` (${when(turn.at)})` }), ": "), el("span", { text: turn.question })));
  const reply = el("li", { class: `message bot kind-${turn.kind}`, id: `turn-${i}`, tabindex: "-1" });
  const body = el("div", { class: "body" });
  body.innerHTML = turn.html; // built on the server from escaped text (bot/app/render.py)
  const actions = el("div", { class: "reply-actions" }, copyControl(turn, i, body));
  if (turn.kind !== "emergency") actions.append(feedbackControls(turn, i));
  reply.append(el("p", { class: "who", text: "smabot:" }), body, actions);
  return [asked, reply];
}

function copyControl(turn, i, body) {
  const note = el("p", { class: "copy-note", role: "status", "aria-live": "polite" });
  const button = el("button", {
    type: "button", class: "copy", "aria-label": `Copy reply ${i + 1}`, text: "Copy",
    onclick: async () => {
      const text = `You asked (${when(turn.at)}): ${turn.question}\n\n${turn.copy || body.innerText}`;
      note.textContent = (await copyText(text))
        ? "Copied: you can paste it into a note or a message."
        : "Could not copy here: use Print or save this conversation instead.";
    },
  });
  return el("div", { class: "copy-group" }, button, note);
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // older browsers, or a page not served over https: copy through a hidden selection
    const area = el("textarea", { class: "sr-only", "aria-hidden": "true", tabindex: "-1" });
    area.value = text;
    document.body.append(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch { ok = false; }
    area.remove();
    return ok;
  }
}

function feedbackControls(turn, i) {
  const group = el("div", { class: "feedback", role: "group", "aria-label": `Rate reply ${i + 1}` });
  const note = el("p", { class: "feedback-note", role: "status", "aria-live": "polite" });
  const buttons = {};
  for (const [vote, label, icon] of [["up", "Helpful", "👍"], ["down", "Not helpful", "👎"]]) {
    buttons[vote] = el("button", {
      type: "button", class: "vote", "aria-pressed": String(turn.vote === vote),
      onclick: () => sendVote(turn, i, vote, group, note, buttons),
    }, el("span", { "aria-hidden": "true", text: icon + " " }), label);
  }
  group.append(el("span", { class: "feedback-label", text: "Was this helpful?" }), buttons.up, buttons.down, note);
  if (turn.vote) note.textContent = turn.commented ? "Thank you: your comment was saved." : "Thank you: saved for the clinic team.";
  return group;
}

function earlier(i) {
  return turns.slice(Math.max(0, i - HISTORY_TURNS), i).map((t) => t.question);
}

async function sendVote(turn, i, vote, group, note, buttons) {
  if (turn.vote === vote) return;
  note.textContent = "Saving…";
  try {
    const { id, token } = await post("/chat/feedback", { vote, question: turn.question, history: earlier(i) });
    Object.assign(turn, { vote, row: id, token, commented: false });
    save();
    for (const [v, b] of Object.entries(buttons)) b.setAttribute("aria-pressed", String(v === vote));
    note.textContent = "Thank you: this reply and the questions that led to it were saved for the clinic team.";
    showCommentForm(turn, group, note);
  } catch (err) {
    note.textContent = `Not saved: ${err.message}`;
  }
}

function showCommentForm(turn, group, note) {
  group.querySelector("form")?.remove();
  const id = `comment-${turn.row}`;
  const box = el("textarea", { id, rows: "2", maxlength: "2000" });
  const form = el("form", { class: "comment" },
    el("label", { for: id, text: "Add a comment (optional)" }), box,
    el("div", { class: "actions" },
      el("button", { type: "submit", class: "secondary", text: "Send comment" }),
      el("button", { type: "button", class: "secondary", text: "No comment", onclick: () => { form.remove(); focusQuestion(); } })));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!box.value.trim()) { note.textContent = "Write a comment first, or choose No comment."; return; }
    try {
      await post("/chat/comment", { id: turn.row, token: turn.token, comment: box.value });
      turn.commented = true;
      save();
      form.remove();
      note.textContent = "Thank you: your comment was saved.";
      focusQuestion();
    } catch (err) {
      note.textContent = `Comment not saved: ${err.message}`;
    }
  });
  group.append(form);
  box.focus();
}

function renderRelated() {
  const last = turns[turns.length - 1];
  const list = $("related");
  list.replaceChildren();
  const questions = last && last.kind !== "emergency" ? last.suggestions : [];
  for (const q of questions) list.append(el("li", {}, el("button", { type: "button", class: "example", text: q, onclick: () => ask(q) })));
  $("related-block").hidden = questions.length === 0;
  $("examples-block").hidden = turns.length > 0;
  $("tools").hidden = turns.length === 0;
}

function renderAll() {
  $("conversation").replaceChildren(...turns.flatMap(renderTurn));
  renderRelated();
}

// The new question at the top of the screen, the reply's first lines under it, the box
// below; if the question is too long for that, the reply's start at the top.
function showReply(i) {
  const asked = $(`asked-${i}`);
  const reply = $(`turn-${i}`);
  asked.scrollIntoView({ block: "start" });
  const firstLine = reply.querySelector(".body").getBoundingClientRect().top + 48;
  if (firstLine > $("ask").getBoundingClientRect().top) reply.scrollIntoView({ block: "start" });
}

// ---- asking ----------------------------------------------------------------------

async function ask(question) {
  question = question.trim();
  if (!question) { say("Type a question first.", "problem"); focusQuestion(); return; }
  if (busy) return;
  busy = true;
  say("Looking in the documents…");
  $("conversation").setAttribute("aria-busy", "true");
  const stop = new AbortController();
  const slow = setTimeout(() => say("Still looking: the connection is slow. Your question is kept."), SLOW_MS);
  const giveUp = setTimeout(() => stop.abort(), GIVE_UP_MS);
  try {
    const history = turns.slice(-HISTORY_TURNS).map((t) => t.question);
    const data = await post("/chat/ask", { question, history, turn: turns.length }, stop.signal);
    const turn = {
      question, at: new Date().toISOString(), html: data.html, copy: data.copy,
      kind: data.reply.kind, suggestions: data.reply.suggestions || [],
    };
    turns.push(turn);
    save();
    $("question").value = "";
    const i = turns.length - 1;
    $("conversation").append(...renderTurn(turn, i));
    renderRelated();
    say("Reply received.", "announced");
    showReply(i);
    focusQuestion();
  } catch (err) {
    say(err instanceof Problem ? err.message : `No reply: ${KEPT}`, "problem");
    focusQuestion();
  } finally {
    clearTimeout(slow);
    clearTimeout(giveUp);
    busy = false;
    $("conversation").removeAttribute("aria-busy");
  }
}

function clearConversation() {
  if (!turns.length) { focusQuestion(); return; }
  if (!window.confirm("Clear the whole conversation? This can't be undone.")) return;
  turns = [];
  save();
  renderAll();
  say("The conversation was cleared.", "announced");
  focusQuestion();
}

function datePrinted() {
  $("print-date").textContent = new Date().toLocaleDateString(undefined, { dateStyle: "long" });
}

document.addEventListener("DOMContentLoaded", () => {
  renderAll();
  datePrinted();
  // the box's height, so that focus and scrolling keep things clear of it
  new ResizeObserver(([entry]) => {
    document.documentElement.style.setProperty("--composer-height", `${entry.target.offsetHeight}px`);
  }).observe($("ask"));
  $("ask").addEventListener("submit", (event) => { event.preventDefault(); ask($("question").value); });
  $("question").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ask($("question").value);
    }
  });
  $("clear").addEventListener("click", clearConversation);
  $("print").addEventListener("click", () => { datePrinted(); window.print(); });
  window.addEventListener("beforeprint", datePrinted);
  for (const b of document.querySelectorAll("#examples-block button")) b.addEventListener("click", () => ask(b.textContent));
  // back from a source: show the reply it was opened from
  const target = location.hash.startsWith("#turn-") && document.querySelector(location.hash);
  if (target) { target.scrollIntoView({ block: "start" }); target.focus({ preventScroll: true }); }
});
