DROP TABLE chat_logs;
DROP TABLE room_members;
DROP TABLE rooms;
