// SPDX-License-Identifier: GPL-3.0-or-later
// A web page that calls and is called through confabd, written from docs/protocol.md alone:
// it registers and signs in over HTTP, keeps the WebSocket session, and runs one
// RTCPeerConnection per call (offer/answer and trickled ICE in call_signal). Incoming calls
// are answered at once. Query: ?server=<confabd URL>&username=<name>&password=<password>.
// The test drives it through window.confab; times are milliseconds since the Unix epoch.
'use strict';

const params = new URLSearchParams(location.search);
const server = params.get('server');
const username = params.get('username');
const password = params.get('password');

const confab = {
  deviceId: null,
  error: null,
  call: null,        // the current call, see newCall()
  ended: [],         // {callId, reason} of the calls that ended, oldest first
};
window.confab = confab;

let ws = null;
let nextId = 1;
const pending = new Map();
let media = null;

function setStatus (text) {
  document.getElementById('status').textContent = text;
}

function fail (error) {
  confab.error = String(error && error.stack ? error.stack : error);
  setStatus('error: ' + confab.error);
}

async function http (path, body) {
  const response = await fetch(server + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

function request (type, params) {
  const id = String(nextId++);
  ws.send(JSON.stringify(Object.assign({ type, id }, params)));
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

function onResponse (frame) {
  const waiter = pending.get(frame.id);
  if (!waiter)
    return;
  pending.delete(frame.id);
  if (frame.ok)
    waiter.resolve(frame.result);
  else
    waiter.reject(new Error(frame.type + ' ' + JSON.stringify(frame.error)));
}

function uuid () {
  return crypto.randomUUID();
}

function newCall (callId, peer, role) {
  return {
    callId, peer, role,
    device: null,           // the peer's device, once known
    pc: null,
    iceServers: [],
    pendingIce: [],         // the peer's candidates before its description
    remoteSet: false,
    answeredAt: 0,          // the callee answered
    firstFrameAt: 0,        // first video frame decoded here
    firstAudioAt: 0,        // first audio samples decoded here
    offerSdp: null,
    answerSdp: null,
    state: 'ringing',
    refused: [],            // media lines the peer rejected
  };
}

async function getMedia () {
  if (!media)
    media = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  return media;
}

function makePeerConnection (call) {
  const pc = new RTCPeerConnection({ iceServers: call.iceServers });
  call.pc = pc;
  document.getElementById('remote').srcObject = null;
  pc.onicecandidate = (event) => {
    if (!event.candidate || !event.candidate.candidate || call.device === null)
      return;
    request('call_signal', {
      call_id: call.callId, to_device: call.device,
      ice: { candidate: event.candidate.candidate, sdp_mline_index: event.candidate.sdpMLineIndex },
    }).catch(fail);
  };
  pc.ontrack = (event) => {
    // Played (muted by the browser's flags), so that the audio is pulled and decoded too.
    const element = document.getElementById('remote');
    if (!element.srcObject)
      element.srcObject = new MediaStream();
    element.srcObject.addTrack(event.track);
  };
  pc.onconnectionstatechange = () => {
    if (confab.call === call)
      call.state = pc.connectionState;
  };
  watchFirstFrames(call);
  return pc;
}

// Decoded media as the browser counts it: frames decoded, audio samples received and the part
// of them concealed (made up for lost packets).
async function mediaStats (call) {
  const result = { framesDecoded: 0, audioSamples: 0, concealedSamples: 0, bytesReceived: 0 };
  if (!call || !call.pc)
    return result;
  const report = await call.pc.getStats();
  report.forEach((stat) => {
    if (stat.type !== 'inbound-rtp')
      return;
    result.bytesReceived += stat.bytesReceived || 0;
    if (stat.kind === 'video')
      result.framesDecoded += stat.framesDecoded || 0;
    else if (stat.kind === 'audio') {
      result.audioSamples += stat.totalSamplesReceived || 0;
      result.concealedSamples += stat.concealedSamples || 0;
    }
  });
  return result;
}

function watchFirstFrames (call) {
  const timer = setInterval(async () => {
    if (call.pc === null || call.pc.signalingState === 'closed') {
      clearInterval(timer);
      return;
    }
    const stats = await mediaStats(call);
    const now = performance.timeOrigin + performance.now();
    if (!call.firstFrameAt && stats.framesDecoded > 0)
      call.firstFrameAt = now;
    if (!call.firstAudioAt && stats.audioSamples > stats.concealedSamples)
      call.firstAudioAt = now;
    if (call.firstFrameAt && call.firstAudioAt)
      clearInterval(timer);
  }, 10);
}

function noteRefused (call, sdp) {
  const lines = sdp.split('\r\n').filter((line) => line.startsWith('m='));
  call.refused = lines.filter((line) => line.split(' ')[1] === '0')
    .map((line) => line.slice(2).split(' ')[0]);
}

async function addRemoteIce (call, ice) {
  if (!call.remoteSet) {
    call.pendingIce.push(ice);
    return;
  }
  await call.pc.addIceCandidate({ candidate: ice.candidate, sdpMLineIndex: ice.sdp_mline_index });
}

async function setRemote (call, description) {
  noteRefused(call, description.sdp);
  await call.pc.setRemoteDescription(description);
  call.remoteSet = true;
  for (const ice of call.pendingIce.splice(0))
    await addRemoteIce(call, ice);
}

// The caller's side: offers once the callee answered (docs/protocol.md, Calls).
async function sendOffer (call) {
  const stream = await getMedia();
  const pc = makePeerConnection(call);
  for (const track of stream.getTracks())
    pc.addTrack(track, stream);
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  call.offerSdp = offer.sdp;
  await request('call_signal', { call_id: call.callId, to_device: call.device,
                                 sdp: { type: 'offer', sdp: offer.sdp } });
}

// The callee's side: answers the caller's offer.
async function answerOffer (call, offer) {
  const stream = await getMedia();
  if (!call.pc)
    makePeerConnection(call);
  call.offerSdp = offer.sdp;
  await setRemote(call, offer);
  for (const track of stream.getTracks())
    call.pc.addTrack(track, stream);
  const answer = await call.pc.createAnswer();
  await call.pc.setLocalDescription(answer);
  call.answerSdp = answer.sdp;
  await request('call_signal', { call_id: call.callId, to_device: call.device,
                                 sdp: { type: 'answer', sdp: answer.sdp } });
}

function endCall (callId, reason) {
  const call = confab.call;
  if (!call || call.callId !== callId)
    return;
  if (call.pc)
    call.pc.close();
  call.state = 'ended';
  confab.ended.push({ callId, reason });
  confab.call = null;
}

async function onEvent (name, data) {
  const call = confab.call;
  switch (name) {
  case 'call_invite':
    if (call) {
      await request('call_reject', { call_id: data.call_id, reason: 'busy' });
      return;
    }
    confab.call = newCall(data.call_id, data.from, 'callee');
    confab.call.device = data.from_device;
    confab.call.iceServers = confab.iceServers;
    confab.call.answeredAt = performance.timeOrigin + performance.now();
    confab.call.state = 'connecting';
    await request('call_answer', { call_id: data.call_id });
    break;
  case 'call_answered':
    if (!call || call.callId !== data.call_id)
      return;
    call.device = data.device;
    call.answeredAt = performance.timeOrigin + performance.now();
    call.state = 'connecting';
    await sendOffer(call);
    break;
  case 'call_signal':
    if (!call || call.callId !== data.call_id)
      return;
    if (data.sdp && data.sdp.type === 'offer')
      await answerOffer(call, data.sdp);
    else if (data.sdp && data.sdp.type === 'answer')
      await setRemote(call, data.sdp);
    else if (data.ice && data.ice.candidate)
      await addRemoteIce(call, data.ice);
    break;
  case 'call_ended':
    endCall(data.call_id, data.reason);
    break;
  default:
    break;
  }
}

confab.startCall = async (peer) => {
  if (confab.call)
    throw new Error('already in a call');
  const call = newCall(uuid(), peer, 'caller');
  call.iceServers = confab.iceServers;
  confab.call = call;
  await request('call_invite', { call_id: call.callId, to: peer, media: { audio: true, video: true } });
  return call.callId;
};

confab.hangup = async () => {
  const call = confab.call;
  if (!call)
    return;
  await request('call_hangup', { call_id: call.callId });
  endCall(call.callId, 'hangup');
};

// What the test reads: the current call and its decoded media.
confab.report = async () => {
  const call = confab.call;
  const stats = await mediaStats(call);
  return Object.assign(stats, {
    error: confab.error,
    ended: confab.ended,
    callId: call ? call.callId : null,
    role: call ? call.role : null,
    state: call ? call.state : null,
    answeredAt: call ? call.answeredAt : 0,
    firstFrameAt: call ? call.firstFrameAt : 0,
    firstAudioAt: call ? call.firstAudioAt : 0,
    refused: call ? call.refused : [],
    offerSdp: call ? call.offerSdp : null,
    answerSdp: call ? call.answerSdp : null,
  });
};

function iceServersFrom (list) {
  return (list || []).map((entry) => ({ urls: entry.urls, username: entry.username,
                                        credential: entry.credential }));
}

async function start () {
  // A fresh server: register first (409 conflict if the name is taken, then just sign in).
  const registered = await http('/v1/register', { username, password });
  if (registered.status !== 201 && registered.status !== 409)
    throw new Error('register: ' + registered.status + ' ' + JSON.stringify(registered.json));
  const login = await http('/v1/login', { username, password, device_name: 'Chromium' });
  if (login.status !== 200)
    throw new Error('login: ' + login.status + ' ' + JSON.stringify(login.json));

  ws = new WebSocket(server.replace(/^http/, 'ws') + '/v1/ws');
  ws.onmessage = (message) => {
    const frame = JSON.parse(message.data);
    if (frame.type === 'response')
      onResponse(frame);
    else if (frame.type === 'event')
      onEvent(frame.event, frame.data).catch(fail);
  };
  ws.onclose = (event) => fail('WebSocket closed: ' + event.code);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error('WebSocket error'));
  });
  const hello = await request('hello', { token: login.json.token, since: 0,
                                         client: 'confab-browser-test/1' });
  confab.iceServers = iceServersFrom(hello.ice_servers);
  confab.deviceId = hello.device_id;
  setStatus('ready ' + confab.deviceId);
}

start().catch(fail);
