// Prints, as JSON, the Window-exposed interfaces of the W3C IDL rtcshim implements
// (from @webref/idl) plus our own fragment for the pre-standard members the seed page
// lists: for each interface its parent, constructor length, attributes, operations and
// maplike declaration, partials merged. tests/browser/test_webidl_surface.py feeds this
// to surface-check.js in a shimmed page.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parse } from 'webidl2';

const require = createRequire(import.meta.url);
const SPECS = ['webrtc', 'mediacapture-streams', 'mst-content-hint', 'webrtc-identity'];
const OURS = new URL('./rtcshim-legacy.idl', import.meta.url);

function sources() {
  const specs = SPECS.map((spec) => ({
    origin: spec,
    text: readFileSync(require.resolve(`@webref/idl/${spec}.idl`), 'utf8'),
  }));
  return [...specs, { origin: 'rtcshim-legacy', text: readFileSync(OURS, 'utf8') }];
}

function isExposedOnWindow(definition) {
  const exposed = definition.extAttrs.find((attribute) => attribute.name === 'Exposed');
  if (!exposed) {
    return false;
  }
  const values = Array.isArray(exposed.rhs.value) ? exposed.rhs.value.map((item) => item.value) : [exposed.rhs.value];
  return values.includes('Window');
}

// WebIDL: a function's length is the fewest arguments any overload requires.
function requiredArguments(args) {
  const firstOptional = args.findIndex((argument) => argument.optional || argument.variadic);
  return firstOptional === -1 ? args.length : firstOptional;
}

function addMember(members, member, origin) {
  const isStatic = member.special === 'static';
  if (member.type === 'attribute') {
    members[member.name] = {
      kind: 'attribute', static: isStatic, readonly: member.readonly,
      promise: member.idlType.generic === 'Promise', origin,
    };
  } else if (member.type === 'operation' && member.name) {
    const length = requiredArguments(member.arguments);
    const known = members[member.name];
    members[member.name] = {
      kind: 'operation', static: isStatic,
      length: known ? Math.min(known.length, length) : length,
      promise: (known && known.promise) || member.idlType.generic === 'Promise', origin,
    };
  }
}

const interfaces = {};
const partials = [];
for (const { origin, text } of sources()) {
  for (const definition of parse(text)) {
    if (definition.type !== 'interface') {
      continue;
    }
    if (definition.partial) {
      partials.push({ definition, origin });
      continue;
    }
    if (!isExposedOnWindow(definition)) {
      continue;
    }
    const constructors = definition.members.filter((member) => member.type === 'constructor');
    interfaces[definition.name] = {
      owned: true,
      inherits: definition.inheritance,
      constructorLength: constructors.length
        ? Math.min(...constructors.map((member) => requiredArguments(member.arguments))) : null,
      maplike: definition.members.some((member) => member.type === 'maplike'),
      members: {},
    };
    for (const member of definition.members) {
      addMember(interfaces[definition.name].members, member, origin);
    }
  }
}
for (const { definition, origin } of partials) {
  // A partial of an interface we do not define (Navigator) is checked member by member.
  const target = interfaces[definition.name]
    ?? (interfaces[definition.name] = { owned: false, members: {} });
  for (const member of definition.members) {
    addMember(target.members, member, origin);
  }
}
process.stdout.write(JSON.stringify(interfaces, null, 1));
