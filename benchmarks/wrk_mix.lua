-- A read-heavy mix over many test accounts (so no account passes its per-minute limits).
-- TOKENS: a file with one bearer token per line. MODEL_IDS: one model id per line.
local tokens, models, paths = {}, {}, {}
local counter = 0

local function lines(path)
  local out = {}
  for line in io.lines(path) do out[#out + 1] = line end
  return out
end

function init(args)
  tokens = lines(os.getenv("TOKENS"))
  models = lines(os.getenv("MODEL_IDS"))
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  counter = math.random(1, #tokens)
end

local providers = {"openai", "anthropic", "google", "meta", "mistral", "cohere", "in-house"}

function request()
  counter = counter + 1
  local token = tokens[(counter % #tokens) + 1]
  local r = math.random()
  local path
  if r < 0.35 then
    path = "/api/models?provider=" .. providers[math.random(#providers)] .. "&limit=20"
  elseif r < 0.55 then
    path = "/api/models/" .. models[math.random(math.min(#models, 50))]
  elseif r < 0.85 then
    path = "/api/evaluations?limit=20"
  else
    path = "/api/auth/me"
  end
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end

local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
