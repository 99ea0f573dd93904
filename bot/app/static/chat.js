// smabot families' chat: asks /chat/ask, shows replies, takes feedback (bot/app/page.py).
// The conversation is kept in this tab's sessionStorage only, so opening a source and
// coming back shows the same conversation; nothing is kept after the tab is closed.
"use strict";

const KEY = "smabot-conversation";
const HISTORY_TURNS = 4; // earlier messages sent along for follow-ups
const $ = (id) => document.getElementById(id);
let turns = load(); // [{question, html, kind, suggestions, vote, row, token, commented}]
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

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `The server answered ${response.status}.`);
  return data;
}

function say(text) {
  $("status").textContent = text;
}

function focusQuestion() {
  $("question").focus({ preventScroll: true });
}

// ---- rendering -------------------------------------------------------------------

function renderTurn(turn, i) {
  const asked = el("li", { class: "message you" },
    el("p", {}, el("span", { class: "who", text: "You asked: " }), el("span", { text: turn.question })));
  const reply = el("li", { class: `message bot kind-${turn.kind}`, id: `turn-${i}`, tabindex: "-1" });
  const body = el("div", { class: "body" });
  body.innerHTML = turn.html; // built on the server from escaped text (bot/app/render.py)
  reply.append(el("p", { class: "who", text: "smabot:" }), body);
  if (turn.kind !== "emergency") reply.append(feedbackControls(turn, i));
  return [asked, reply];
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

async function sendVote(turn, i, vote, group, note, buttons) {
  if (turn.vote === vote) return;
  note.textContent = "Saving…";
  try {
    const { id, token } = await post("/chat/feedback", {
      vote, question: turn.question, history: turns.slice(Math.max(0, i - HISTORY_TURNS), i).map((t) => t.question),
    });
    Object.assign(turn, { vote, row: id, token, commented: false });
    save();
    for (const [v, b] of Object.entries(buttons)) b.setAttribute("aria-pressed", String(v === vote));
    note.textContent = "Thank you: this question and reply were saved for the clinic team.";
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
}

function renderAll() {
  const list = $("conversation");
  list.replaceChildren(...turns.flatMap(renderTurn));
  renderRelated();
}

// ---- asking ----------------------------------------------------------------------

async function ask(question) {
  question = question.trim();
  if (!question) { say("Type a question first."); focusQuestion(); return; }
  if (busy) return;
  busy = true;
  say("Looking in the documents…");
  $("conversation").setAttribute("aria-busy", "true");
  try {
    const history = turns.slice(-HISTORY_TURNS).map((t) => t.question);
    const data = await post("/chat/ask", { question, history, turn: turns.length });
    const turn = { question, html: data.html, kind: data.reply.kind, suggestions: data.reply.suggestions || [] };
    turns.push(turn);
    save();
    $("question").value = "";
    const i = turns.length - 1;
    $("conversation").append(...renderTurn(turn, i));
    renderRelated();
    say("Reply received.");
    $(`turn-${i}`).scrollIntoView({ block: "start" });
    focusQuestion();
  } catch (err) {
    say(`No reply: ${err.message} Your question is still in the box; please try again.`);
    focusQuestion();
  } finally {
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
  say("The conversation was cleared.");
  focusQuestion();
}

document.addEventListener("DOMContentLoaded", () => {
  renderAll();
  $("ask").addEventListener("submit", (event) => { event.preventDefault(); ask($("question").value); });
  $("question").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ask($("question").value);
    }
  });
  $("clear").addEventListener("click", clearConversation);
  for (const b of document.querySelectorAll("#examples-block button")) b.addEventListener("click", () => ask(b.textContent));
  // back from a source: show the reply it was opened from
  const target = location.hash.startsWith("#turn-") && document.querySelector(location.hash);
  if (target) { target.scrollIntoView({ block: "start" }); target.focus({ preventScroll: true }); }
});
